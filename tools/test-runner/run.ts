// `npm test`: the test files three at a time, files and tests in a random order, then the real boots one at a
// time (each needs the machine's cores), as node's runner does them. Then, last, what a reader of the log needs
// and node's own summary does not give: every skipped suite and test again, grouped by reason (each reason says
// what would run them), with their count, and the seed that repeats the order.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

export type SkipRecord =
  | { kind: "suite" | "test"; name: string; file: string | undefined; reason: string }
  | { kind: "seed"; seed: string };

export interface Pass {
  /** node --test's arguments: the runner's options and the files' pattern. */
  args: string[];
}

export const PASSES: Pass[] = [
  {
    args: [
      "--test-concurrency=3",
      "--test-timeout=180000",
      "--test-randomize",
      "dist/test/**/*.test.js",
    ],
  },
  { args: ["--test-concurrency=1", "--test-timeout=900000", "dist/test/**/*.real-vm.js"] },
];

const REPORTER = join(__dirname, "skips-reporter.js");

/**
 * Runs each pass in turn (a failing one ends the run, as `&&` would), then writes the skips and the seed.
 * Returns the exit code: the failing pass's, else 0.
 */
export function runPasses(
  passes: Pass[],
  options: { cwd: string; write: (text: string) => void; quiet?: boolean },
): number {
  const dir = mkdtempSync(join(tmpdir(), "ssh-ready-test-run-"));
  const records: SkipRecord[] = [];
  let code = 0;
  try {
    for (const [i, pass] of passes.entries()) {
      const file = join(dir, `${i}.jsonl`);
      const run = spawnSync(
        process.execPath,
        [
          "--test",
          "--test-reporter=spec",
          "--test-reporter-destination=stdout",
          `--test-reporter=${REPORTER}`,
          `--test-reporter-destination=${file}`,
          ...pass.args,
        ],
        { cwd: options.cwd, env: runnerEnv(), stdio: options.quiet ? "ignore" : "inherit" },
      );
      if (existsSync(file))
        for (const line of readFileSync(file, "utf8").split("\n"))
          if (line) records.push(JSON.parse(line) as SkipRecord);
      code = run.status ?? 1;
      if (code !== 0) break;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  options.write(report(records, options.cwd));
  return code;
}

/** The skips, grouped by reason, and the seed; for the end of the log. */
export function report(records: SkipRecord[], cwd: string): string {
  const skips = records.filter((r) => r.kind !== "seed");
  const seed = records.find((r) => r.kind === "seed");
  const lines = [""];
  if (skips.length === 0) lines.push("Nothing was skipped.");
  else {
    const suites = skips.filter((s) => s.kind === "suite").length;
    const tests = skips.length - suites;
    const byReason = new Map<string, typeof skips>();
    for (const skip of skips) {
      const reason = skip.reason.replace(/^SKIPPED: /, "") || "no reason given";
      byReason.set(reason, [...(byReason.get(reason) ?? []), skip]);
    }
    lines.push(
      `*** SKIPPED: ${count(suites, "suite")} and ${count(tests, "test")}, for ${count(byReason.size, "reason")} (node's "skipped" above counts tests only, not suites) ***`,
    );
    for (const [reason, group] of [...byReason].sort(([a], [b]) => a.localeCompare(b))) {
      const files = [...new Set(group.map((s) => shown(s.file, cwd)))].sort();
      const n = group.filter((s) => s.kind === "suite").length;
      lines.push(
        `- ${reason}`,
        `  ${count(n, "suite")} and ${count(group.length - n, "test")}, in ${files.join(", ")}`,
      );
    }
  }
  if (seed)
    lines.push(
      `Random order seed ${seed.seed}: node --test --test-random-seed=${seed.seed} "dist/test/**/*.test.js" repeats it.`,
    );
  return `${lines.join("\n")}\n`;
}

/**
 * The environment without NODE_TEST_CONTEXT: inside a test (this runner's own tests), node sets it, and a
 * `node --test` that inherits it reports to that test's runner instead of running its reporters.
 */
function runnerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

/** A compiled test file as its source: dist/test/cli/args.test.js → test/cli/args.test.ts. */
function shown(file: string | undefined, cwd: string): string {
  if (!file) return "(unknown file)";
  return relative(cwd, file)
    .replace(/^dist\//, "")
    .replace(/\.js$/, ".ts");
}

if (require.main === module) {
  process.exitCode = runPasses(PASSES, {
    cwd: join(__dirname, "../../.."),
    write: (text) => process.stdout.write(text),
  });
}
