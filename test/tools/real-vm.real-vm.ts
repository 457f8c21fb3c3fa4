// The VM harness itself (tools/real-vm/vm.ts): a process interrupted with VMs up leaves no QEMU, tap device or
// file behind.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { realVmSkipReason } from "../../tools/real-vm/vm";
import { ed25519 } from "../support/keys";

const harness = resolve(__dirname, "../../tools/real-vm/vm.js");

function qemuFor(dir: string): boolean {
  try {
    return (
      execFileSync("pgrep", ["-f", `qemu-system.*${dir}/disk.img`], { encoding: "utf8" }) !== ""
    );
  } catch {
    return false;
  }
}

describe("the VM harness", { skip: realVmSkipReason() }, () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`removes its VM when the process gets ${signal}`, async () => {
      const key = ed25519();
      const program = `
        const { RealVm } = require(${JSON.stringify(harness)});
        RealVm.boot({ seed: { userData: "#cloud-config\\n", adminUsername: "azureuser",
          adminPublicKey: ${JSON.stringify(key.public)} } })
          .then((vm) => console.log(JSON.stringify({ tap: vm.tap, dir: vm.dir })));
        setInterval(() => undefined, 1000);`;
      const child = spawn(process.execPath, ["-e", program], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      const exited = new Promise<NodeJS.Signals | null>((done) =>
        child.on("exit", (_code, sig) => done(sig)),
      );
      const { tap, dir } = await new Promise<{ tap: string; dir: string }>((done) =>
        child.stdout.setEncoding("utf8").once("data", (line: string) => done(JSON.parse(line))),
      );
      assert.ok(existsSync(`/sys/class/net/${tap}`), "the tap device is there while the VM runs");
      assert.ok(qemuFor(dir), "QEMU runs");
      child.kill(signal);
      assert.equal(await exited, signal, `the process still ends by ${signal}`);
      assert.equal(existsSync(`/sys/class/net/${tap}`), false, "the tap device is gone");
      assert.equal(existsSync(dir), false, "the VM's files are gone");
      assert.equal(qemuFor(dir), false, "QEMU is gone");
    });
  }
});
