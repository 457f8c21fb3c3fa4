// VmWithReadySsh's first boot on a real VM: Debian with systemd, sshd and cloud-init booted under QEMU
// (tools/real-vm), its cloud-init data the component's exact custom data on a NoCloud seed drive, its network a
// tap device of its own. One boot per kind of user data, shared by the checks below.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { mergeUserData } from "../../components/azure/cloud-init";
import {
  HostKeyMismatchError,
  waitForSsh,
  type AttemptEvent,
  type SshReadyResult,
} from "../../components/readiness";
import { fingerprintOf } from "../../components/readiness/host-key";
import { acceptingServer, type AcceptingSsh } from "../support/bad-servers";
import { RealVm, realVmSkipReason } from "../../tools/real-vm/vm";
import { ed25519 } from "../support/keys";
import { ProviderHost } from "../support/provider-host";
import { REPO } from "../support/consumer";
import { byType, componentData, hostKeys, Login, type ComponentData } from "../support/real-vm";

const admin = ed25519();
const userCloudConfig =
  "#cloud-config\nwrite_files:\n  - path: /etc/from-user-cloud-config\n    content: written by the user's cloud-config\n";
const userScript = "#!/bin/sh\necho ran > /var/tmp/from-user-script\n";

const kinds: Record<string, { customData?: string; effects: string[] }> = {
  "no user data": { effects: [] },
  "a user's cloud-config and shell script": {
    customData: mergeUserData([userCloudConfig, userScript]),
    effects: ["/etc/from-user-cloud-config", "/var/tmp/from-user-script"],
  },
};

describe("VmWithReadySsh's custom data on a real boot", { skip: realVmSkipReason() }, () => {
  for (const [what, { customData, effects }] of Object.entries(kinds)) {
    describe(`with ${what}`, () => {
      let data: ComponentData;
      let vm: RealVm;
      let login: Login;
      let library: { result: SshReadyResult; at: number };
      let dynamic: { properties: Record<string, unknown>; at: number };
      let host: ProviderHost;
      // The same boot, trusted through its console instead of the pins: the VM itself, and an impostor.
      let consoleTrust: { result: SshReadyResult; events: AttemptEvent[] };
      let impostor: AcceptingSsh;
      let impostorEnd: { error: unknown; at: number };

      before(async () => {
        data = await componentData("boot", admin.private, customData);
        const inputs = data.run.byName("boot-ready").inputs;
        vm = await RealVm.boot({
          seed: {
            userData: data.userData,
            adminUsername: "azureuser",
            adminPublicKey: admin.public,
          },
        });
        login = new Login(vm.address, "azureuser", admin.private, data.pins);
        host = await ProviderHost.start(REPO);
        await host.configure({ "vm-with-ready-ssh:unused": "x" });
        // Both waits start with the boot: the library's, and SshReadiness's through the real dynamic-provider
        // host, each with the component's pins at level command (the component's default).
        const wait = {
          host: vm.address,
          username: "azureuser",
          privateKey: admin.private,
          timeout: "10m",
        };
        const checked = await host.check(
          "boot-ready",
          {},
          { __provider: inputs.__provider, ...wait, hostKeyPin: data.pins, level: "command" },
        );
        assert.deepEqual(checked.failures, []);
        const serialLog = vm.serialLog;
        impostor = await acceptingServer();
        const events: AttemptEvent[] = [];
        [library, dynamic, consoleTrust, impostorEnd] = await Promise.all([
          waitForSsh({ ...wait, hostKeyPin: data.pins, level: "command" }).then((result) => ({
            result,
            at: performance.now(),
          })),
          host.create("boot-ready", checked.inputs).then(({ properties }) => ({
            properties,
            at: performance.now(),
          })),
          waitForSsh({
            ...wait,
            hostKeyPin: "console",
            serialLog,
            level: "command",
            onAttempt: (event) => events.push(event),
          }).then((result) => ({ result, events })),
          // An impostor on this machine, given the VM's console: it accepts any key, and has its own host key.
          waitForSsh({
            ...wait,
            host: "127.0.0.1",
            port: impostor.port,
            hostKeyPin: "console",
            serialLog,
          }).then(
            () => ({ error: undefined, at: performance.now() }),
            (error: unknown) => ({ error, at: performance.now() }),
          ),
        ]);
      });
      after(async () => {
        await impostor?.close();
        await host?.stop();
        login?.dispose();
        await vm?.dispose();
      });

      it("is ready only after cloud-init's final stage, through the library and through SshReadiness", async () => {
        const finished = await vm.cloudInitFinished;
        process.stderr.write(
          `[${what}] ${vm.accel}: cloud-init finished ${((finished - vm.startedAt) / 1000).toFixed(1)} s after QEMU ` +
            `started; ready ${((library.at - finished) / 1000).toFixed(2)} s (library) and ` +
            `${((dynamic.at - finished) / 1000).toFixed(2)} s (SshReadiness) after its final line\n`,
        );
        assert.ok(
          library.at > finished,
          "the library's wait was not ready before cloud-init finished",
        );
        assert.ok(dynamic.at > finished, "SshReadiness was not ready before cloud-init finished");
        assert.equal(library.result.hostKey, data.pins[0].split(" ").slice(0, 2).join(" "));
        assert.equal(dynamic.properties.hostKey, library.result.hostKey);
        assert.equal(library.result.command?.exitCode, 0);
      });

      it('with hostKeyPin "console", connects only once the console shows the host keys, and trusts those', async () => {
        const keys = data.pins.map((pin) => pin.split(" ").slice(0, 2).join(" "));
        assert.ok(keys.includes(consoleTrust.result.hostKey!), consoleTrust.result.hostKey);
        // Until cloud-init printed the keys (in its final stage), no attempt connected.
        const outcomes = consoleTrust.events.map((e) => e.outcome);
        const first = outcomes.findIndex((o) => o !== "no-console-keys");
        assert.ok(first > 0, outcomes.join(" "));
        assert.ok(
          outcomes.slice(first).every((o) => o !== "no-console-keys"),
          outcomes.join(" "),
        );
      });

      it('never trusts an impostor with hostKeyPin "console": a mismatch, once the console shows the keys', () => {
        const { error } = impostorEnd;
        assert.ok(error instanceof HostKeyMismatchError, String(error));
        assert.equal(
          error.presented[0].line,
          impostor.hostKeyPublic.split(" ").slice(0, 2).join(" "),
        );
        for (const pin of data.pins) {
          const blob = Buffer.from(pin.split(" ")[1], "base64");
          assert.ok(error.expected.includes(fingerprintOf(blob)), error.expected);
        }
        // It connected only once the record was there: one connection, no key offered to it.
        assert.equal(impostor.connections(), 1);
        assert.equal(impostor.authRequests(), 0);
      });

      it("serves the pinned RSA, ECDSA and Ed25519 host keys, and no other", async () => {
        assert.deepEqual(await hostKeys(vm.address), byType(data.pins));
      });

      it("lets the admin user log in with its key, cloud-init done, the user's data applied", async () => {
        assert.equal((await login.ok("id -un")).trim(), "azureuser");
        assert.match(await login.ok("cloud-init status"), /^status: done$/m);
        assert.equal(
          (
            await login.ok("sudo -n test -f /var/lib/cloud/instance/boot-finished && echo yes")
          ).trim(),
          "yes",
        );
        for (const file of effects)
          assert.equal((await login.run(`test -s ${file}`)).code, 0, file);
        // The VM reaches this host only: no default route in the guest, no forwarding from its tap here.
        assert.equal((await login.ok("ip route show default")).trim(), "");
        assert.equal(
          readFileSync(`/proc/sys/net/ipv4/conf/${vm.tap}/forwarding`, "utf8").trim(),
          "0",
        );
      });
    });
  }
});
