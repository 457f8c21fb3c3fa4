// The local stack's real VM, started and stopped as its commands do (tools/real-vm/cli.js, with the environment
// the stack gives them): the VM outlives `start`, gets ready with the pins at level command, and `stop` leaves
// no QEMU, tap device or file behind.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { vmUserData, type HostKeys } from "../../components/azure/cloud-init";
import { generateKeyPair, KEY_TYPES } from "../../components/keys/generation";
import { waitForSsh } from "../../components/readiness";
import { REAL_VM_CLI } from "../../stacks/local";
import { realVmSkipReason } from "../../tools/real-vm/vm";
import { ed25519 } from "../support/keys";

const admin = ed25519();

/** Running, not a zombie waiting for whichever process adopted it to reap it. */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1][0] !== "Z";
  } catch {
    return false;
  }
}

describe("the local stack's real VM", { skip: realVmSkipReason() }, () => {
  const stateDir = join(mkdtempSync(join(tmpdir(), "ssh-ready-local-vm-")), "vm");
  const hostKeys = Object.fromEntries(
    KEY_TYPES.map((type) => [type, generateKeyPair(type, "local-vm")]),
  ) as unknown as HostKeys;
  const pins = KEY_TYPES.map((type) => hostKeys[type].publicKey);
  const cli = (command: string) =>
    spawnSync(process.execPath, [REAL_VM_CLI, command], {
      encoding: "utf8",
      timeout: 120_000,
      env: {
        ...process.env,
        STATE_DIR: stateDir,
        USER_DATA: vmUserData("#!/bin/sh\necho provisioned > /var/tmp/local-vm\n", hostKeys),
        ADMIN_USER: "azureuser",
        ADMIN_PUBLIC_KEY: admin.public,
      },
    });
  after(() => {
    cli("stop");
    rmSync(join(stateDir, ".."), { recursive: true, force: true });
  });

  it("starts in the background, gets ready with the pins, and stops without a trace", async () => {
    const started = cli("start");
    assert.equal(started.status, 0, started.stderr);
    const { address } = JSON.parse(started.stdout) as { address: string };
    const { pid, tap } = JSON.parse(readFileSync(join(stateDir, "vm.json"), "utf8")) as {
      pid: number;
      tap: string;
    };
    assert.ok(running(pid), "QEMU runs after start exited");
    assert.equal(
      statSync(stateDir).mode & 0o777,
      0o700,
      "the seed's host private keys: root's only",
    );
    const again = cli("start");
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already holds a VM: stop it first/);
    const result = await waitForSsh({
      host: address,
      username: "azureuser",
      privateKey: admin.private,
      hostKeyPin: pins,
      level: "command",
      timeout: "10m",
    });
    assert.equal(result.hostKey, pins[0].split(" ").slice(0, 2).join(" "));
    const stopped = cli("stop");
    assert.equal(stopped.status, 0, stopped.stderr);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(!running(pid), "QEMU is gone");
    assert.equal(existsSync(`/sys/class/net/${tap}`), false, "the tap device is gone");
    assert.equal(existsSync(stateDir), false, "the state folder is gone");
    assert.equal(cli("stop").status, 0, "a second stop has nothing to do");
  });
});
