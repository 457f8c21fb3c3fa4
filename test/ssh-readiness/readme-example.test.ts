// The README's SshReadiness example, read from README.md, compiled as a user's program and run under Pulumi's
// mocks: the remote.Command depends on the readiness resource and pins the host key it verified.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { ed25519 } from "../support/keys";
import { isSecret } from "../support/pulumi-mocks";
import { codeBlocks, compileBlocks } from "../support/doc-examples";

const VERIFIED_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFAKEKEYFORTESTSONLYnotarealkeyatallxxxxxx";

describe("README: SshReadiness with a remote.Command, as written there", () => {
  const registered: pulumi.runtime.MockResourceArgs[] = [];
  const privateKey = ed25519().private;

  before(async () => {
    const [block] = codeBlocks("README.md").filter(
      (b) => b.lang === "ts" && b.code.includes("new SshReadiness("),
    );
    assert.ok(block, "README.md has an SshReadiness example");
    const [compiled] = compileBlocks([block]);
    assert.deepEqual(compiled.errors, []);

    let commandRegistered!: () => void;
    const done = new Promise<void>((resolve) => (commandRegistered = resolve));
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push(args);
          if (args.type === "command:remote:Command") commandRegistered();
          // What the provider's create reports: the key sshd presented.
          const state = args.type.endsWith(":SshReadiness")
            ? { ...args.inputs, hostKey: VERIFIED_KEY }
            : args.inputs;
          return { id: `${args.name}-id`, state };
        },
        call: () => {
          throw new Error("not implemented");
        },
      },
      "web",
      "test",
    );
    // The stack's config, as `pulumi config set [--secret]` would give it.
    pulumi.runtime.setAllConfig({ "web:vmAddress": "20.1.2.3", "web:sshPrivateKey": privateKey }, [
      "web:sshPrivateKey",
    ]);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the example, compiled at test time
    require(compiled.js);
    await done;
  });

  it("registers the readiness resource, then the command", () => {
    assert.deepEqual(
      registered.map((r) => [r.type, r.name]),
      [
        ["pulumi-nodejs:dynamic/ssh-readiness:SshReadiness", "web-ready"],
        ["command:remote:Command", "provision"],
      ],
    );
    const ready = registered[0].inputs;
    assert.deepEqual(
      [ready.host, ready.username, ready.level, ready.timeout],
      ["20.1.2.3", "azureuser", "command", "15m"],
    );
    assert.ok(isSecret(ready.privateKey), "the key is stored as a secret");
  });

  it("gives the command the host key the readiness resource verified, in a secret connection", () => {
    const { connection } = registered[1].inputs as { connection: unknown };
    assert.ok(
      isSecret(connection),
      "@pulumi/command keeps the connection secret: it holds the key",
    );
    const {
      hostKey,
      host,
      user,
      privateKey: key,
    } = (connection as { value: Record<string, unknown> }).value;
    assert.deepEqual(
      { hostKey, host, user },
      { hostKey: VERIFIED_KEY, host: "20.1.2.3", user: "azureuser" },
    );
    assert.equal(key, privateKey);
  });
});
