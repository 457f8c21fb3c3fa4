// The local stack: under mocks (what it declares), and its sshd scripts for real (the "VM" boots late,
// readiness waits for it with the pinned key, and the stop script closes the port again).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import net from "node:net";
import { userInfo } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { generateEd25519 } from "../../components/keys/generation";
import { waitForSsh } from "../../components/readiness";
import { userDataParts } from "../../components/azure/user-data";
import { localProgram, REAL_VM_CLI, START_SSHD, STOP_SSHD } from "../../stacks/local";
import { isSecret } from "../support/pulumi-mocks";
import { freePort } from "../../tools/simulator/openssh";
import { opensshSkipReason } from "../support/openssh";
import { mockStack, settle, type StackRun } from "../support/stack-mocks";
import { scratchDir } from "../support/scratch";

describe("local stack", () => {
  let run: StackRun;
  before(async () => {
    run = await mockStack("local", { localPort: "22999", localBootDelay: "3" });
    await settle(localProgram());
  });

  it("starts sshd with a local command and stops it on delete", () => {
    const sshd = run.byName("local-sshd").inputs;
    assert.equal(sshd.create, START_SSHD);
    assert.equal(sshd.delete, STOP_SSHD);
  });

  it("waits on loopback with the generated host key pinned, after the sshd command", () => {
    const ready = run.byName("local-ready").inputs;
    assert.deepEqual([ready.host, ready.port, ready.level], ["127.0.0.1", 22999, "auth"]);
    assert.match(String(ready.hostKeyPin), /^ssh-ed25519 /);
    assert.ok(
      run.registration("local-ready").dependencies.includes(run.registration("local-sshd").urn),
    );
    assert.ok(
      run.registration("local-hello").dependencies.includes(run.registration("local-ready").urn),
    );
  });

  describe("with localMachine: vm", () => {
    let vmRun: StackRun;
    before(async () => {
      vmRun = await mockStack("local", { localMachine: "vm", customData: "#!/bin/sh\necho hi\n" });
      await settle(localProgram());
    });

    it("boots a real VM with the tools' start and stop, given VmWithReadySsh's custom data", async () => {
      const vm = vmRun.byName("local-vm").inputs;
      assert.deepEqual(
        [vm.create, vm.delete],
        [`exec node ${REAL_VM_CLI} start`, `exec node ${REAL_VM_CLI} stop`],
      );
      // The user data holds host private keys: secret, and so (as Pulumi serializes it) the whole environment.
      assert.ok(isSecret(vm.environment), "the environment is secret");
      const env = vm.environment.value as Record<string, string>;
      const userData = env.USER_DATA;
      assert.deepEqual([env.ADMIN_USER, env.STATE_DIR.endsWith("-local-vm")], ["azureuser", true]);
      // The same document the component makes from the same parts: the user's script, then the host keys.
      const pins = vmRun.byName("local-ready").inputs.hostKeyPin as string[];
      assert.equal(pins.length, 3);
      const parts = userDataParts(userData);
      assert.deepEqual(
        parts.map((p) => p.type),
        ["text/x-shellscript", "text/cloud-config"],
      );
      for (const pin of pins)
        assert.ok(parts[1].text.includes(pin), "each pin's key is in the custom data");
    });

    it("waits at level command with the three pins, at the address the VM's start printed, with its console", () => {
      const ready = vmRun.byName("local-ready").inputs;
      assert.deepEqual(
        [ready.host, ready.level, ready.username, ready.serialLog],
        ["10.77.1.2", "command", "azureuser", "/tmp/vm-with-ready-ssh-local-vm/serial.log"],
      );
      assert.ok(
        vmRun.registration("local-ready").dependencies.includes(vmRun.registration("local-vm").urn),
      );
    });

    it("refuses a machine it does not know, naming the setting", async () => {
      await mockStack("local", { localMachine: "docker" });
      assert.throws(
        () => localProgram(),
        /\[localMachine\] must be "sshd" .* or "vm" .*, not "docker"/,
      );
    });
  });

  describe("its sshd scripts, for real", { skip: opensshSkipReason() }, () => {
    // As root, log in as root: the scripts use one authorized_keys file for whoever runs them.
    const user = userInfo().username;
    const key = generateEd25519("local-test");
    const hostKey = generateEd25519("local-test host");
    const stateDir = join(scratchDir("local-stack-"), "state");

    it("boots late, is ready with the pinned key, and is gone after the stop script", async () => {
      const port = await freePort();
      const env = {
        ...process.env,
        STATE_DIR: stateDir,
        PORT: String(port),
        BOOT_DELAY: "1",
        AUTHORIZED_KEY: key.publicKey,
        HOST_PRIVATE_KEY: hostKey.privateKey,
      };
      const start = spawnSync("/bin/sh", ["-c", START_SSHD], {
        env,
        encoding: "utf8",
        timeout: 10_000,
      });
      assert.equal(start.status, 0, start.stderr);
      assert.match(start.stdout, new RegExp(`sshd will listen on 127\\.0\\.0\\.1:${port} in 1s`));
      try {
        const events: string[] = [];
        const result = await waitForSsh({
          host: "127.0.0.1",
          port,
          username: user,
          privateKey: key.privateKey,
          hostKeyPin: hostKey.publicKey,
          timeout: "30s",
          onAttempt: (e) => events.push(e.outcome),
        });
        assert.equal(events[0], "refused", "the port is closed at first, as on a booting VM");
        assert.equal(result.hostKey, hostKey.publicKey.split(" ").slice(0, 2).join(" "));
      } finally {
        const stop = spawnSync("/bin/sh", ["-c", STOP_SSHD], {
          env,
          encoding: "utf8",
          timeout: 10_000,
        });
        assert.equal(stop.status, 0, stop.stderr);
      }
      await new Promise((r) => setTimeout(r, 200));
      const refused = await new Promise<boolean>((resolve) => {
        const socket = net.connect(port, "127.0.0.1");
        socket.on("connect", () => (socket.destroy(), resolve(false)));
        socket.on("error", () => resolve(true));
      });
      assert.ok(refused, "sshd is stopped");
    });
  });
});
