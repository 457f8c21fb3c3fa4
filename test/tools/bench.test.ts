// npm run bench, in small (one trial, a few hosts, ssh2's server): the harness runs end to end and writes its
// report. Figures are measured by the benchmark, not asserted here.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";

const bench = resolve(__dirname, "../../tools/bench/index.js");

describe("the benchmark", () => {
  it("races every waiter in every scenario and on a reboot, waits on many hosts at once, and writes its report", () => {
    const cwd = mkdtempSync(join(tmpdir(), "ssh-ready-bench-"));
    const run = spawnSync(process.execPath, [bench], {
      cwd,
      env: { ...process.env, BENCH_TRIALS: "1", BENCH_HOSTS: "5", BENCH_SERVER: "ssh2" },
      encoding: "utf8",
      timeout: 150_000,
    });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(
      run.stdout,
      /\| scenario \| waiter \| latency median \| latency p95 \| false-ready \| sshd connections \| MaxAuthTries hits \|/,
    );
    assert.match(
      run.stdout,
      /\nReboot .*\n\n\| waiter \| latency median \| p95 \| min \| max \| false-ready \| sshd connections \|/,
    );
    assert.match(run.stdout, /\nTargets:\n/);
    assert.match(run.stdout, /\nThe confirming login .*\n {2}plain: \d+ ms; ssh-ready command/);
    const report = JSON.parse(readFileSync(join(cwd, "bench-results.json"), "utf8")) as {
      rows: { scenario: string; waiter: string; trials: number }[];
      scale: { hosts: number; detected: number };
      results: { waiter: string; loginMs?: number }[];
      reboot: {
        rows: { waiter: string; trials: number }[];
        results: { waiter: string; oldBootAttempts?: number }[];
      };
    };
    assert.equal(report.rows.length, 15);
    assert.ok(report.rows.every((r) => r.trials === 1));
    assert.equal(report.results.length, 15);
    for (const r of report.results)
      assert.equal(typeof r.loginMs, r.waiter === "ssh-ready command" ? "number" : "undefined");
    assert.deepEqual([report.scale.hosts, report.scale.detected], [5, 5]);
    assert.deepEqual(
      report.reboot.rows.map((r) => [r.waiter, r.trials]),
      [
        ["fixed sleep (13 s)", 1],
        ["1 s ssh loop + cloud-init wait", 1],
        ["ansible reboot", 1],
        ["ssh-ready --after-boot", 1],
      ],
    );
    // Every waiter starts while the old boot answers: ssh-ready meets it, whatever the timeline.
    for (const r of report.reboot.results)
      if (r.waiter === "ssh-ready --after-boot")
        assert.ok(r.oldBootAttempts! >= 1, JSON.stringify(r));
      else assert.equal(r.oldBootAttempts, undefined);
  });
});
