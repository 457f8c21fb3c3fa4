// What the README promises a newcomer, checked against what the code and CI do: the install table names every
// package its examples import; the prerequisites name the Debian packages CI installs, and the way to a newer
// Node.js that CI takes; the progress lines are what the CLI's printer writes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { AttemptEvent } from "../../components/readiness/events";
import { ProgressPrinter } from "../../components/readiness/progress";
import { codeBlocks, REPO } from "../support/doc-examples";

const readme = readFileSync(join(REPO, "README.md"), "utf8");
const ciRun = readFileSync(join(REPO, ".ci/run"), "utf8");

/** The text of a `## ` section of the README, up to the next one. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `README has a "${title}" section`);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The words after `apt-get install` in a text, each command's packages. */
function aptPackages(text: string): Set<string> {
  const found = new Set<string>();
  for (const match of text.matchAll(/apt-get install ((?:[a-z0-9.+-]+ ?)+)/g))
    for (const name of match[1].trim().split(" ")) found.add(name);
  return found;
}

describe("the README", () => {
  it("installs every package its examples import", () => {
    const install = section("Install");
    const imported = new Set(
      codeBlocks("README.md")
        .filter((b) => b.lang === "ts")
        .flatMap((b) => [...b.code.matchAll(/from "([^".][^"]*)"/g)].map((m) => m[1]))
        .map((spec) =>
          (spec.startsWith("@") ? spec.split("/").slice(0, 2) : spec.split("/").slice(0, 1)).join(
            "/",
          ),
        ),
    );
    assert.ok(imported.has("@pulumi/command"), [...imported].join(", "));
    const missing = [...imported].filter(
      (name) => !install.includes(`\`${name}\``) && !install.includes(` ${name} `),
    );
    assert.deepEqual(missing, [], "imported by an example, absent from the install table");
  });

  it("names, before anything else in its test section, the Debian packages CI installs", () => {
    const tryIt = section("Try it, test it");
    const firstParagraphs = tryIt.slice(0, tryIt.indexOf("The demo boots"));
    const ci = new Set([...ciRun.matchAll(/missing\+=\(([a-z0-9.+-]+)\)/g)].map((m) => m[1]));
    assert.ok(ci.size >= 7, [...ci].join(" "));
    assert.deepEqual([...aptPackages(firstParagraphs)].sort(), [...ci].sort());
  });

  it("gives an older Node.js the way to Node 24 that CI takes", () => {
    assert.match(ciRun, /npm install --prefix \.ci\/node [^\n]*node@24/);
    assert.match(
      section("Try it, test it"),
      /`npm install --prefix ~\/node24 node@24`, then `export PATH=~\/node24\/node_modules\/node\/bin:\$PATH`/,
    );
  });

  it("says what the progress lines are: one when the outcome changes, then a reminder while it does not", () => {
    const claim =
      /Progress goes to stderr: one\s+classified line when the outcome changes, and a reminder every (\d+) s while it does not\./.exec(
        readme,
      );
    assert.ok(claim, "the README's progress sentence");
    const everyMs = Number(claim[1]) * 1000;
    // 18 refused attempts, 0.5 s apart, as sshd starts: the CLI's printer with its defaults.
    const lines: string[] = [];
    const printer = new ProgressPrinter((line) => lines.push(line));
    for (let i = 0; i < 18; i++) {
      const at = i * 500;
      printer.onAttempt({
        attempt: i + 1,
        hop: "target",
        outcome: "refused",
        reached: "connect",
        startedMs: at,
        elapsedMs: at,
        timestamp: at,
        detail: "connect ECONNREFUSED 10.0.0.4:22",
      } satisfies AttemptEvent);
    }
    // One line for the change, one reminder each `everyMs` after it: at 0 s and 5 s over 8.5 s.
    assert.equal(lines.length, 1 + Math.floor(8500 / everyMs), lines.join("\n"));
    assert.match(lines[0], /^\+0\.0s attempt 1: connection refused — /);
    assert.match(
      lines[1],
      /^\+5\.0s attempt 11: still connection refused \(11 attempts in 5\.0s\)$/,
    );
  });
});
