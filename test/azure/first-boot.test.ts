// VmWithReadySsh's first boot with real parts: the exact custom data the component produces (under Pulumi's
// mocks) goes through Debian's cloud-init (user-data processor, part handler, schema validator, ssh module in a
// sandboxed /etc/ssh), the Azure VM agent's provisioning wait, then an OpenSSH sshd serving the host keys
// cloud-init wrote, and the readiness check with the component's own pin.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { VmWithReadySsh } from "../../components/azure";
import type { VmWithReadySshArgs } from "../../components/azure/args";
import { HostKeyMismatchError, waitForSsh } from "../../components/readiness";
import { OpenSshServer } from "../../tools/simulator/openssh";
import { opensshSkipReason } from "../support/openssh";
import {
  cloudInitApply,
  cloudInitRead,
  cloudInitSkipReason,
  type CloudInitApplied,
} from "../support/cloud-init";
import { ed25519 } from "../support/keys";
import { componentData } from "../support/component-data";
import { mockStack } from "../support/stack-mocks";

const user = ed25519();

const skip = cloudInitSkipReason({ needsRoot: true }) || opensshSkipReason();

describe(
  "VmWithReadySsh's custom data on a first boot with real cloud-init and sshd",
  { skip },
  () => {
    const userDataKinds: Record<string, string | undefined> = {
      "no user data": undefined,
      "a user cloud-config":
        "#cloud-config\npackages: [nginx]\nwrite_files:\n  - path: /tmp/x\n    content: hi\n",
      "a user script": "#!/bin/sh\necho hello > /tmp/hello\n",
    };
    for (const [what, customData] of Object.entries(userDataKinds)) {
      describe(`with ${what}`, () => {
        let applied: CloudInitApplied;
        let sshd: OpenSshServer;
        let pin: string[];
        before(async () => {
          const made = await componentData("boot", user.private, customData);
          pin = made.pins;
          const read = cloudInitRead(made.userData);
          assert.deepEqual(
            [read.schemaErrors, read.schemaDeprecations, read.warnings],
            [[], [], []],
            "cloud-init reads it without an error, deprecation or warning",
          );
          // The merged ssh_keys hold exactly the pinned keys.
          const keys = read.merged!.ssh_keys as Record<string, string>;
          assert.deepEqual([keys.ed25519_public, keys.ecdsa_public, keys.rsa_public], pin);
          applied = cloudInitApply(read.merged!, { ssh_host_ed25519_key: "the image's key" });
          sshd = new OpenSshServer({
            hostKeyFiles: ["ed25519", "ecdsa", "rsa"].map((t) =>
              join(applied.sshDir, `ssh_host_${t}_key`),
            ),
          });
          sshd.authorize(user.public);
          await sshd.start();
        });
        after(async () => {
          await sshd?.dispose();
          applied?.dispose();
        });

        it("lets the Azure VM agent find its RSA host key and report the VM provisioned", () => {
          assert.equal(applied.agent.error, undefined);
          assert.match(applied.agent.thumbprint ?? "", /^SHA256[A-Za-z0-9+/]{43}$/);
        });

        it("gets ready with the component's pin, sshd presenting the Ed25519 key", async () => {
          const result = await waitForSsh({
            host: "127.0.0.1",
            port: sshd.port,
            username: sshd.user,
            privateKey: user.private,
            hostKeyPin: pin,
            level: "auth",
          });
          assert.equal(result.hostKey, pin[0].split(" ").slice(0, 2).join(" "));
        });

        it("refuses a server with any other host key", async () => {
          const stranger = new OpenSshServer();
          stranger.authorize(user.public);
          await stranger.start();
          try {
            await assert.rejects(
              waitForSsh({
                host: "127.0.0.1",
                port: stranger.port,
                username: stranger.user,
                privateKey: user.private,
                hostKeyPin: pin,
                level: "auth",
              }),
              HostKeyMismatchError,
            );
          } finally {
            await stranger.dispose();
          }
        });
      });
    }
  },
);

describe(
  "a user cloud-config that would replace the pinned keys",
  { skip: cloudInitSkipReason() },
  () => {
    const hostile = (key: { public: string }) =>
      `#cloud-config\nssh_keys:\n  ed25519_public: ${key.public}\n`;

    it("sets ssh_keys as real cloud-init reads it", () => {
      const read = cloudInitRead(hostile(user));
      assert.ok("ssh_keys" in read.merged!);
    });

    it("is refused at preview, naming customData and the key, before any child exists", async () => {
      const run = await mockStack("test", {});
      const args: VmWithReadySshArgs = {
        location: "westeurope",
        adminUsername: "azureuser",
        customData: hostile(user),
      };
      assert.throws(() => new VmWithReadySsh("hostile", args), {
        name: "InvalidOptionError",
        message:
          /^\[customData\] sets ssh_keys: the component installs the VM's host keys and pins them/,
      });
      // The constructor threw before any child was constructed: nothing but the component can register.
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(
        run.registered
          .filter((r) => r.name.startsWith("hostile"))
          .filter((r) => r.type !== "vm-with-ready-ssh:azure:VmWithReadySsh"),
        [],
      );
    });
  },
);
