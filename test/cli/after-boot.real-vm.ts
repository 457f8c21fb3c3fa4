// Ready again after a reboot, on a real boot (issue 26): `ssh-ready --after-boot` is started with the boot id
// from before the reboot, meets the old boot answering (shown, not hoped for: the reboot is asked for only once
// it has), and says ready only on the new boot, with its id, once that boot's start-up is done.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { RealVm, realVmSkipReason } from "../../tools/real-vm/vm";
import { ed25519 } from "../support/keys";
import {
  componentData,
  Login,
  sshReadyOnVm,
  type ComponentData,
  type SshReadyRun,
} from "../support/real-vm";

const admin = ed25519();
const TIMEOUT_S = 300;
const BOOT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("ssh-ready --after-boot on a real reboot", { skip: realVmSkipReason() }, () => {
  let data: ComponentData;
  let vm: RealVm;
  let dir: string;
  let login: Login;
  let first: SshReadyRun;
  let firstBoot: string;
  let waiter: SshReadyRun;
  let rebootAskedAt = 0;
  let previousBootLines = 0;
  let afterReboot: { code: number | null; stdout: string };

  before(async () => {
    data = await componentData("rebooting", admin.private, undefined);
    dir = mkdtempSync(join(tmpdir(), "ssh-ready-reboot-"));
    const key = join(dir, "key");
    writeFileSync(key, admin.private, { mode: 0o600 });
    vm = await RealVm.boot({
      seed: { userData: data.userData, adminUsername: "azureuser", adminPublicKey: admin.public },
      reboots: true,
    });
    login = new Login(vm.address, "azureuser", admin.private, data.pins);
    first = await sshReadyOnVm(vm, key, data.pins, TIMEOUT_S, ["--json"]);
    firstBoot = (JSON.parse(first.stdout) as { bootId: string }).bootId;
    // The waiter starts on the old boot; the reboot is asked for once it has said so.
    let asked: Promise<unknown> | undefined;
    waiter = await sshReadyOnVm(
      vm,
      key,
      data.pins,
      TIMEOUT_S,
      ["--after-boot", firstBoot, "--json"],
      (text) => {
        previousBootLines += (text.match(/still the previous boot/g) ?? []).length;
        if (previousBootLines > 0 && !asked) {
          rebootAskedAt = performance.now();
          // In 3 s: the command that asks ends cleanly, on the old boot.
          asked = login.run("sudo systemd-run --on-active=3 systemctl reboot");
        }
      },
    );
    await asked;
    afterReboot = await login.run(
      "cat /proc/sys/kernel/random/boot_id; cloud-init status; systemctl is-system-running; true",
    );
  });
  after(async () => {
    login?.dispose();
    await vm?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reports the boot the first wait was ready on", () => {
    assert.equal(first.code, 0, first.stderr);
    assert.match(firstBoot, BOOT_ID);
  });

  it("met the old boot answering, and said so, before the reboot was asked for", () => {
    assert.ok(rebootAskedAt > 0, waiter.stderr);
    assert.match(
      waiter.stderr,
      new RegExp(
        `attempt 1: still the previous boot — .*\\(on boot ${firstBoot}, the one to wait past\\)`,
      ),
    );
  });

  it("never says the readiness command started on the old boot", () => {
    const oldBoot = waiter.stderr.split("\n").filter((l) => /still the previous boot/.test(l));
    for (const line of oldBoot) {
      const attempt = /attempt (\d+):/.exec(line)![1];
      assert.doesNotMatch(waiter.stderr, new RegExp(`attempt ${attempt}: logged in; waiting`));
    }
  });

  it("is ready only on the new boot, with its id, and the next step finds that boot started", () => {
    process.stderr.write(
      `the waiter, ${Math.round((waiter.at - rebootAskedAt) / 1000)} s after the reboot was asked for:\n${waiter.stderr}`,
    );
    assert.equal(waiter.code, 0, waiter.stderr);
    const { bootId } = JSON.parse(waiter.stdout) as { bootId: string };
    assert.match(bootId, BOOT_ID);
    assert.notEqual(bootId, firstBoot);
    assert.equal(afterReboot.code, 0, afterReboot.stdout);
    const [id, status, system] = afterReboot.stdout.trim().split("\n");
    assert.equal(id, bootId, "the next step runs on the boot the waiter was ready on");
    assert.equal(status, "status: done");
    assert.match(system, /^(running|degraded)$/);
  });
});
