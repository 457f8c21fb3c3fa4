// Every code example in README.md and docs/, read from the Markdown: TypeScript blocks compile as a user's
// program (strict, importing this package by name); `ssh-ready` lines are accepted by the CLI's parser.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parseCommandLine } from "../../components/cli/args";
import { ed25519 } from "../support/keys";
import { codeBlocks, compileBlocks, docFiles, sshReadyCommands } from "../support/doc-examples";

const blocks = docFiles().flatMap(codeBlocks);
const typescript = blocks.filter((b) => b.lang === "ts");
const shell = blocks.filter((b) => b.lang === "sh" && sshReadyCommands(b).length > 0);

describe("the docs' code examples", () => {
  const scratch = mkdtempSync(join(tmpdir(), "ssh-ready-docs-"));
  const keyFile = join(scratch, "key");
  writeFileSync(keyFile, ed25519().private, { mode: 0o600 });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("has TypeScript and ssh-ready examples to check, each block fenced with its language", () => {
    assert.ok(typescript.length >= 5, `${typescript.length} TypeScript blocks`);
    assert.ok(shell.length >= 2, `${shell.length} shell blocks with ssh-ready`);
    const unlabelled = blocks.filter((b) => b.lang === "").map((b) => `${b.file}:${b.line}`);
    assert.deepEqual(unlabelled, [], "a code block without a language is not checked");
  });

  it("compiles every TypeScript example as a user's program would", () => {
    const failed = compileBlocks(typescript)
      .filter((r) => r.errors.length > 0)
      .map((r) => `${r.block.file}:${r.block.line}\n  ${r.errors.join("\n  ")}`);
    assert.deepEqual(failed, []);
  });

  it("gives every ssh-ready command line to the CLI's parser, which accepts it", () => {
    for (const block of shell) {
      for (const argv of sshReadyCommands(block)) {
        // Key files named in the docs do not exist here: a real one stands in, so the rest is checked.
        const args = argv.map((a, i) =>
          ["-i", "--jump-identity"].includes(argv[i - 1]) ? keyFile : a,
        );
        assert.doesNotThrow(
          () => parseCommandLine(args, {}),
          `${block.file}:${block.line}: ssh-ready ${argv.join(" ")}`,
        );
      }
    }
  });
});
