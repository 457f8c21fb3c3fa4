// `npm test`'s runner against scratch test files: node's own runner runs them; every skipped suite and test comes
// back at the end, grouped by reason and counted (node's summary counts skipped tests only), with the seed; a
// failing pass ends the run with its code, and the skips so far are still reported.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runPasses } from "../../tools/test-runner/run";
import { scratchDir } from "../support/scratch";

function project(files: Record<string, string>): string {
  const dir = scratchDir("ssh-ready-runner-");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), `const { describe, it } = require("node:test");\n${text}\n`);
  }
  return dir;
}

const SSHD = "SKIPPED: /usr/sbin/sshd not found; run `apt-get install openssh-server` to run them";
const files = {
  "dist/test/a.test.js": `
    describe("sshd tests", { skip: ${JSON.stringify(SSHD)} }, () => { it("one", () => {}); it("two", () => {}); });
    describe("root tests", () => {
      it("needs root", (t) => t.skip("needs root for unshare -n: run the tests as root"));
      it("runs", () => {});
    });`,
  "dist/test/b.test.js": `describe("more sshd tests", { skip: ${JSON.stringify(SSHD)} }, () => { it("x", () => {}); });`,
  "dist/test/c.real-vm.js": `describe("boots", { skip: "SKIPPED: real VM boots need root (tap devices)" }, () => { it("boots", () => {}); });`,
};
const passes = [
  { args: ["--test-randomize", "dist/test/**/*.test.js"] },
  { args: ["dist/test/**/*.real-vm.js"] },
];

describe("npm test's runner", () => {
  it("repeats every skip at the end, by reason, with what runs it, counting suites too, then the seed", () => {
    let text = "";
    const code = runPasses(passes, {
      cwd: project(files),
      write: (t) => (text += t),
      quiet: true,
    });
    assert.equal(code, 0);
    const lines = text.split("\n");
    assert.deepEqual(lines.slice(0, 8), [
      "",
      '*** SKIPPED: 3 suites and 1 test, for 3 reasons (node\'s "skipped" above counts tests only, not suites) ***',
      "- /usr/sbin/sshd not found; run `apt-get install openssh-server` to run them",
      "  2 suites and 0 tests, in test/a.test.ts, test/b.test.ts",
      "- needs root for unshare -n: run the tests as root",
      "  0 suites and 1 test, in test/a.test.ts",
      "- real VM boots need root (tap devices)",
      "  1 suite and 0 tests, in test/c.real-vm.ts",
    ]);
    assert.match(
      lines[8],
      /^Random order seed (\d+): node --test --test-random-seed=\1 "dist\/test\/\*\*\/\*\.test\.js" repeats it\.$/,
    );
  });

  it("says so when nothing was skipped", () => {
    let text = "";
    const code = runPasses([{ args: ["dist/test/**/*.test.js"] }], {
      cwd: project({ "dist/test/ok.test.js": 'it("runs", () => {});' }),
      write: (t) => (text += t),
      quiet: true,
    });
    assert.equal(code, 0);
    assert.equal(text, "\nNothing was skipped.\n");
  });

  it("ends at a failing pass with its code, and still reports the skips it saw", () => {
    let text = "";
    const code = runPasses(passes, {
      cwd: project({
        ...files,
        "dist/test/fails.test.js": 'it("fails", () => { throw new Error("no"); });',
      }),
      write: (t) => (text += t),
      quiet: true,
    });
    assert.equal(code, 1);
    assert.match(text, /\*\*\* SKIPPED: 2 suites and 1 test, for 2 reasons/);
    assert.doesNotMatch(text, /real VM boots/, "the real boots' pass did not run");
  });
});
