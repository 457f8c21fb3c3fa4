// npm run demo -- --real-vm, as a person runs it: two real VMs boot; the incident's loop says ready before
// cloud-init finished and its next step finds cloud-init not done; ssh-ready says ready after, and its next step
// succeeds against the pinned host key.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { realVmSkipReason } from "../../tools/real-vm/vm";

const demo = resolve(__dirname, "../../tools/demo.js");

describe("the demo on real VMs", { skip: realVmSkipReason() }, () => {
  it("tells the incident and the fix on two real boots", async () => {
    const child = spawn(process.execPath, [demo, "--real-vm"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const code = await new Promise((done) => child.on("close", done));
    assert.equal(code, 0, stdout + stderr);
    assert.match(stdout, /Two identical fresh Debian VMs boot under QEMU/);
    assert.match(stdout, /vm +cloud-init finished: the VM is really ready/);
    assert.match(
      stdout,
      /ssh-ready +attempt \d+: logged in; waiting for `cloud-init status --wait`/,
    );
    assert.match(stdout, /ssh-ready +✓ login ok, host key SHA256:\S+ verified, cloud-init done/);
    const verdict = stdout.split("\nVerdict:\n")[1].trim().split("\n");
    assert.equal(verdict.length, 2);
    assert.match(
      verdict[0],
      /nc loop: +said ready [\d.]+ ?m?s before cloud-init finished; next step failed: /,
    );
    assert.match(
      verdict[1],
      /ssh-ready: said ready [\d.]+ ?m?s after cloud-init finished; next step succeeded/,
    );
  });
});
