// ssh-ready on a real VM whose cloud-init fails (a `runcmd` that exits 1): it gives up at once with cloud-init's
// own status text, long before its deadline, instead of waiting it out.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { RealVm, realVmSkipReason } from "../../tools/real-vm/vm";
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
    run = await sshReadyOnVm(vm.address, join(dir, "key"), data.pins, TIMEOUT_S);
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
});
