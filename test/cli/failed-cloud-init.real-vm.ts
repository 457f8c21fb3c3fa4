// ssh-ready on a real VM whose cloud-init fails (a `runcmd` that exits 1): it gives up at once with cloud-init's
// own status text, long before its deadline, instead of waiting it out; given the VM's serial log, with the
// console's lines that say why. A second waiter trusts the host keys the console shows (no pin given).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { RealVm, realVmSkipReason } from "../../tools/real-vm/vm";
import { fingerprintOf } from "../../components/readiness/host-key";
import { ed25519 } from "../support/keys";
import {
  componentData,
  sshReadyOnVm,
  type ComponentData,
  type SshReadyRun,
} from "../support/real-vm";

const admin = ed25519();
const TIMEOUT_S = 600;

describe("ssh-ready when cloud-init fails on a real boot", { skip: realVmSkipReason() }, () => {
  let data: ComponentData;
  let vm: RealVm;
  let dir: string;
  let run: SshReadyRun;
  let fromConsole: SshReadyRun;

  before(async () => {
    data = await componentData(
      "failing",
      admin.private,
      "#cloud-config\nruncmd:\n  - [sh, -c, 'echo the provisioning step failed >&2; exit 1']\n",
    );
    dir = mkdtempSync(join(tmpdir(), "ssh-ready-failing-"));
    writeFileSync(join(dir, "key"), admin.private, { mode: 0o600 });
    vm = await RealVm.boot({
      seed: { userData: data.userData, adminUsername: "azureuser", adminPublicKey: admin.public },
    });
    // sshReadyOnVm gives each wait the VM's console (--serial-log).
    [run, fromConsole] = await Promise.all([
      sshReadyOnVm(vm, join(dir, "key"), data.pins, TIMEOUT_S),
      sshReadyOnVm(vm, join(dir, "key"), ["console"], TIMEOUT_S, ["--json"]),
    ]);
  });
  after(async () => {
    await vm?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("exits 1 with cloud-init's status, soon after cloud-init's final stage", async () => {
    const finished = await vm.cloudInitFinished;
    process.stderr.write(
      `ssh-ready exited ${((run.at - finished) / 1000).toFixed(1)} s after cloud-init's final line ` +
        `(${((run.at - vm.startedAt) / 1000).toFixed(1)} s after QEMU started; deadline ${TIMEOUT_S} s)\n`,
    );
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /cloud-init/);
    assert.match(run.stderr, /status: error/);
    // It ended on cloud-init's verdict, not on its deadline.
    assert.ok(run.at - vm.startedAt < (TIMEOUT_S / 2) * 1000, "well before the deadline");
    assert.ok(run.at > finished, "not before cloud-init's final stage");
  });

  it("ends with the console's lines that say why: the failed script, and cloud-init's last line", () => {
    process.stderr.write(
      `ssh-ready's message, with the console's tail:\n${run.stderr.split("\nssh-ready: ")[1]}\n`,
    );
    const tail = run.stderr.slice(run.stderr.indexOf("\nThe VM's console (serial log "));
    assert.match(
      tail,
      /^\nThe VM's console \(serial log \S+serial\.log\), this boot's last lines that matter:\n/,
    );
    const lines = tail.trimEnd().split("\n").slice(2);
    assert.ok(lines.length >= 2 && lines.every((l) => l.startsWith("  | ")), tail);
    assert.ok(
      lines.some((l) => /cloud-init.*WARNING.*(runcmd|scripts-user)/.test(l)),
      tail,
    );
    assert.match(lines.at(-1)!, /Cloud-init v\. \S+ finished at /);
  });

  it("trusts the host keys the console showed (--host-key-pin console): the pinned ones, and the same verdict", () => {
    assert.equal(fromConsole.code, 1, fromConsole.stderr);
    assert.match(fromConsole.stderr, /attempt 1: no host keys on the console yet/);
    const { error } = JSON.parse(fromConsole.stdout) as {
      error: { code: string; console: { tail: string[] } };
    };
    assert.equal(error.code, "COMMAND_FAILED");
    assert.ok(error.console.tail.length >= 2);
    // It logged in, on a host key it verified: one of the component's pins.
    assert.match(
      fromConsole.stderr,
      /attempt \d+: logged in; waiting for `cloud-init status --wait`/,
    );
    const fingerprint = /host key (SHA256:\S+)/.exec(fromConsole.stderr)?.[1];
    const pinned = data.pins.map((pin) => fingerprintOf(Buffer.from(pin.split(" ")[1], "base64")));
    assert.ok(fingerprint && pinned.includes(fingerprint), fromConsole.stderr);
  });
});
