// npm run bench -- --real-vm, in small (one trial: each waiter on its own real boot, then every waiter on one
// real reboot): the harness runs end to end and writes its report. Figures are measured by the benchmark, not asserted here.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { realVmSkipReason } from "../../tools/real-vm/vm";

const bench = resolve(__dirname, "../../tools/bench/index.js");

describe("the benchmark on real boots", { skip: realVmSkipReason() }, () => {
  it("races every waiter on its own fresh boot, and all of them on one reboot, and writes its report", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "ssh-ready-bench-real-"));
    try {
      const child = spawn(process.execPath, [bench, "--real-vm"], {
        cwd,
        env: { ...process.env, BENCH_REAL_TRIALS: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.setEncoding("utf8").on("data", (c: string) => (output += c));
      child.stderr.setEncoding("utf8").on("data", (c: string) => (output += c));
      const code = await new Promise((done) => child.on("close", done));
      assert.equal(code, 0, output);
      assert.match(output, /\| waiter \| latency median \| min \| max \| false-ready \|/);
      assert.match(output, /\nTargets:\n/);
      const report = JSON.parse(readFileSync(join(cwd, "bench-real-vm.json"), "utf8")) as {
        rows: { waiter: string; trials: number }[];
        results: { waiter: string; connections: number; bootS: number; loginMs?: number }[];
        reboot: {
          rows: { waiter: string; trials: number }[];
          results: { waiter: string; oldBootAttempts?: number; rebootMs: number }[];
        };
      };
      assert.deepEqual(
        report.rows.map((r) => [r.waiter, r.trials]),
        [
          ["nc loop (5 s)", 1],
          ["1 s ssh loop + cloud-init wait", 1],
          ["ansible wait_for_connection", 1],
          ["ssh-ready auth", 1],
          ["ssh-ready command", 1],
        ],
      );
      for (const r of report.results) {
        assert.ok(r.connections >= 1 && r.bootS > 0, JSON.stringify(r));
        assert.equal(typeof r.loginMs, r.waiter === "ssh-ready command" ? "number" : "undefined");
      }
      assert.match(
        output,
        /\nReboot \(one VM.*\n\n\| waiter \| latency median \| p95 \| min \| max \| false-ready \| reboot/,
      );
      assert.deepEqual(
        report.reboot.rows.map((r) => [r.waiter, r.trials]),
        [
          ["fixed sleep (60 s)", 1],
          ["1 s ssh loop + cloud-init wait", 1],
          ["ansible reboot", 1],
          ["ssh-ready --after-boot", 1],
        ],
      );
      // The waiters start while the old boot answers (the reboot comes 3 s after it is asked for).
      const sshReady = report.reboot.results.find((r) => r.waiter === "ssh-ready --after-boot")!;
      assert.ok(sshReady.oldBootAttempts! >= 1 && sshReady.rebootMs > 0, JSON.stringify(sshReady));
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
