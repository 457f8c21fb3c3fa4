// The README's example, run under mocks: a remote.Command that depends on SshReadiness and pins the host key
// from its output, so it runs only after sshd is really ready and only against the verified key.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { SshReadiness } from "../../components";
import { ed25519 } from "../support/keys";
import { isSecret, value } from "../support/pulumi-mocks";

const VERIFIED_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFAKEKEYFORTESTSONLYnotarealkeyatallxxxxxx";

describe("README: SshReadiness with a remote.Command", () => {
  const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
  let ready: SshReadiness;
  let provision: command.remote.Command;

  before(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push(args);
          // What the provider's create would report: the key sshd presented.
          const state = args.type.endsWith(":SshReadiness")
            ? { ...args.inputs, hostKey: VERIFIED_KEY }
            : args.inputs;
          return { id: `${args.name}-id`, state };
        },
        call: () => {
          throw new Error("not implemented");
        },
      },
      "vm-with-ready-ssh",
      "test",
    );
    // A key made now: the example's config secret.
    const privateKey = pulumi.secret(ed25519().private);
    const vm = { publicIpAddress: pulumi.output("20.1.2.3"), vmId: pulumi.output("0f4e…") };

    // --- as in the README ---
    ready = new SshReadiness("builder-ready", {
      host: vm.publicIpAddress,
      username: "azureuser",
      privateKey,
      level: "command", // key login works and cloud-init is done
      timeout: "15m",
      triggers: [vm.vmId], // a replaced VM is waited for again
    });

    provision = new command.remote.Command(
      "provision",
      {
        connection: {
          host: ready.host,
          port: ready.port,
          user: "azureuser",
          privateKey,
          hostKey: ready.hostKey.apply((key) => key!), // the key sshd presented during the wait
        },
        create: "sudo apt-get update && sudo apt-get install -y nginx",
      },
      { dependsOn: [ready] },
    );
    // --- end ---
    await value(provision.urn);
  });

  it("registers the readiness resource and the command", () => {
    assert.deepEqual(
      registered.map((r) => [r.type, r.name]),
      [
        ["pulumi-nodejs:dynamic/ssh-readiness:SshReadiness", "builder-ready"],
        ["command:remote:Command", "provision"],
      ],
    );
  });

  it("gives the command the host key the readiness resource verified, in a secret connection", async () => {
    // @pulumi/command marks the whole connection secret, since it holds the key.
    const { connection } = registered[1].inputs;
    assert.ok(isSecret(connection));
    const { hostKey, host, user, privateKey } = connection.value as Record<string, unknown>;
    assert.deepEqual(
      { hostKey, host, user },
      { hostKey: VERIFIED_KEY, host: "20.1.2.3", user: "azureuser" },
    );
    assert.match(String(privateKey), /^-----BEGIN OPENSSH PRIVATE KEY-----/);
    assert.equal(await value(ready.hostKey), VERIFIED_KEY);
  });
});
