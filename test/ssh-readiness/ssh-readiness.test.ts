// SshReadiness under Pulumi's mocks (what it registers, what is secret, what is serialized), then the
// serialized provider itself, loaded as the provider host loads it, against a real sshd.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { SshReadiness } from "../../components/ssh-readiness";
import type { ReadinessInputs } from "../../components/ssh-readiness/inputs";
import type { ReadinessOutputs } from "../../components/ssh-readiness/provider";
import { noSecretIn } from "../support/secrets";
import { ed25519 } from "../support/keys";
import { connectionsDuring } from "../support/bad-servers";
import { OpenSshServer, freePort } from "../../tools/simulator/openssh";
import { opensshSkipReason } from "../support/openssh";
import { installMocks, isSecret, value, type Registered } from "../support/pulumi-mocks";
import { untilTrue } from "../support/until";

// The provider host loads `__provider` with this package: so do we.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const requireFromString = require("require-from-string") as (code: string) => {
  handler: () => unknown;
};

const PASSPHRASE = "correct-horse-battery";
const user = ed25519(PASSPHRASE);
const jumpKey = ed25519();
/** Neither private key nor the passphrase may show up outside the secret inputs. */
const assertNoSecret = noSecretIn([PASSPHRASE], [user.private, jumpKey.private]);

type Provider = Required<dynamic.ResourceProvider<ReadinessInputs, ReadinessOutputs>>;

describe("vm-with-ready-ssh/ssh-readiness", () => {
  it("loads none of the Azure component's code (its key pair provider loads when first used)", () => {
    const entry = require.resolve("../../components/ssh-readiness");
    const providers = require.resolve("../../components/dynamic-providers");
    const script = `
      require(${JSON.stringify(entry)});
      const loaded = () => Object.keys(require.cache).filter((file) => /[\\/]components[\\/]azure[\\/]/.test(file));
      const before = loaded();
      require(${JSON.stringify(providers)}).sshKeyPair.create;
      console.log(JSON.stringify({ before, after: loaded().length }));`;
    const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const { before, after } = JSON.parse(run.stdout) as { before: string[]; after: number };
    assert.deepEqual(before, []);
    assert.ok(after > 0, "SshKeyPair's provider loads on first use");
  });
});

describe("SshReadiness", () => {
  let registered: Registered[];
  let readiness: Registered;
  before(async () => {
    registered = await installMocks();
    const resource = new SshReadiness("builder-ready", {
      host: "127.0.0.1",
      port: 2222,
      username: "azureuser",
      privateKey: user.private,
      passphrase: PASSPHRASE,
      level: "command",
      timeout: "15m",
      triggers: ["vm-id-1"],
      jumpHost: { host: "127.0.0.1", username: "jump", privateKey: jumpKey.private },
    });
    await value(resource.urn);
    readiness = registered.find((r) => r.name === "builder-ready")!;
  });

  it("registers as a dynamic resource of type ssh-readiness:SshReadiness", () => {
    assert.equal(readiness.type, "pulumi-nodejs:dynamic/ssh-readiness:SshReadiness");
    assert.equal(readiness.custom, true);
  });

  it("passes the plain inputs through, with the resource name as the progress label", () => {
    const { host, port, username, level, timeout, triggers, label } = readiness.inputs;
    assert.deepEqual(
      { host, port, username, level, timeout, triggers, label },
      {
        host: "127.0.0.1",
        port: 2222,
        username: "azureuser",
        level: "command",
        timeout: "15m",
        triggers: ["vm-id-1"],
        label: "builder-ready",
      },
    );
  });

  it("marks the private key, the passphrase and the jump host secret, though given as plain strings", () => {
    for (const name of ["privateKey", "passphrase", "jumpHost"]) {
      assert.ok(isSecret(readiness.inputs[name]), `${name} is secret`);
    }
    assert.ok(!isSecret(readiness.inputs.host));
    assert.deepEqual(readiness.inputs.__secretInputs, [], "the program gave no secret of its own");
  });

  it("names the inputs the program gave as secrets, for the provider host that receives no marks", async () => {
    const resource = new SshReadiness("secret-ready", {
      host: "127.0.0.1",
      username: "azureuser",
      privateKey: user.private,
      level: "command",
      command: pulumi.secret("test -n TOKEN"),
      label: pulumi.secret("TOKEN-label"),
      triggers: ["vm-1", pulumi.secret("TOKEN")],
      jumpHost: { host: pulumi.secret("10.0.0.9"), username: "jump" },
    });
    await value(resource.urn);
    const inputs = registered.find((r) => r.name === "secret-ready")!.inputs;
    assert.deepEqual(inputs.__secretInputs, ["command", "jumpHost", "label", "triggers"]);
  });

  it("serializes a provider that holds no secret value", () => {
    const provider = readiness.inputs.__provider;
    assert.equal(
      typeof provider,
      "string",
      "__provider is not marked secret: it captured nothing secret",
    );
    assertNoSecret(provider as string, "__provider");
    assert.match(provider as string, /^exports\.handler = __f0;/);
    assert.match(provider as string, /require\("ssh2\/lib\/index\.js"\)/);
  });

  describe(
    "its serialized provider, loaded as the provider host loads it",
    { skip: opensshSkipReason() },
    () => {
      let provider: Provider;
      let sshd: OpenSshServer;
      let inputs: ReadinessInputs;
      let created: { id: string; outs: ReadinessOutputs };
      const create = async (i: ReadinessInputs) => {
        const result = await provider.create(i);
        return { id: result.id, outs: result.outs! };
      };
      const printed: string[] = [];
      const realLog = console.log;

      before(async () => {
        provider = requireFromString(readiness.inputs.__provider as string).handler() as Provider;
        sshd = new OpenSshServer();
        sshd.authorize(user.public);
        sshd.port = await freePort();
        inputs = {
          label: "builder-ready",
          host: "127.0.0.1",
          port: sshd.port,
          username: sshd.user,
          privateKey: user.private,
          passphrase: PASSPHRASE,
          level: "auth",
          timeout: 30,
          triggers: ["vm-id-1"],
        };
        // Shared setup: one create against an sshd that starts once the wait has been refused; the tests below
        // read it.
        console.log = (line: string) => printed.push(line);
        const late = untilTrue(
          () => printed.some((line) => / attempt 1: connection refused/.test(line)),
          30_000,
          "the first refused attempt",
        )
          .then(() => sshd.start())
          // Should the plugin never be refused, sshd never starts, and create's own error says so.
          .catch(() => undefined);
        try {
          created = await create(inputs);
          await late;
        } finally {
          console.log = realLog;
        }
      });
      after(() => sshd.dispose());

      it("check accepts valid inputs and unknown (preview) values", async () => {
        assert.deepEqual((await provider.check({} as ReadinessInputs, inputs)).failures, []);
        const preview = {
          ...inputs,
          host: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
          privateKey: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        };
        assert.deepEqual((await provider.check({} as ReadinessInputs, preview)).failures, []);
      });

      it("check names each bad property with the engine's message", async () => {
        const { failures } = await provider.check({} as ReadinessInputs, {
          ...inputs,
          port: 70000,
          timeout: "soon",
          passphrase: "wrong",
        });
        assert.deepEqual(failures, [
          { property: "port", reason: "[port] must be from 1 to 65535, got 70000" },
          {
            property: "passphrase",
            reason: "[passphrase] does not decrypt [privateKey] (wrong passphrase?)",
          },
          {
            property: "timeout",
            reason:
              '[timeout] is not a duration: "soon" (write e.g. "90s", "10m", "1m30s", "2d" or a number of seconds)',
          },
        ]);
      });

      it("create waits for an sshd that comes up late, and prints its progress", () => {
        const { outs } = created;
        assert.equal(outs.hostKey, sshd.hostKeyPublic);
        assert.equal(outs.knownHostsLine, `[127.0.0.1]:${sshd.port} ${sshd.hostKeyPublic}`);
        assert.ok(outs.attempts > 1);
        assert.equal(outs.level, "auth");
        assert.match(outs.keyFingerprint ?? "", /^SHA256:/);
        assert.equal(printed[0], `[builder-ready] waiting for sshd on 127.0.0.1:${sshd.port}`);
        // The detail in brackets comes from the engine's Error subclass, which the serializer rewrites: keep it.
        assert.match(
          printed[1],
          /^\[builder-ready\] \+\d+\.\ds attempt 1: connection refused — sshd not listening yet \(connect ECONNREFUSED /,
        );
        assert.match(printed.at(-1)!, /^\[builder-ready\] ready at level auth after \d/);
        assertNoSecret(JSON.stringify(outs), "the outputs");
        assertNoSecret(printed.join("\n"), "the progress lines");
        assert.ok(!("privateKey" in outs) && !("passphrase" in outs));
      });

      it("diff: the same inputs are no change", async () => {
        assert.deepEqual(await provider.diff(created.id, created.outs, inputs), {
          changes: false,
          replaces: [],
          deleteBeforeReplace: false,
        });
      });

      it("diff: timeouts or the label alone are an update, not a new wait", async () => {
        const diff = await provider.diff(created.id, created.outs, {
          ...inputs,
          timeout: "20m",
          attemptTimeout: 5,
          label: "x",
        });
        assert.equal(diff.changes, true);
        assert.deepEqual(diff.replaces, []);
      });

      it("diff: what changes the server or the meaning of ready replaces", async () => {
        const other = ed25519();
        const cases: [Partial<ReadinessInputs>, string[]][] = [
          [{ host: "127.0.0.2" }, ["host"]],
          [{ port: 2200 }, ["port"]],
          [{ username: "other" }, ["username"]],
          [{ level: "command" }, ["level"]],
          [{ level: "command", command: "test -f /ready" }, ["level", "command"]],
          [{ hostKeyPin: sshd.hostKeyPublic }, ["hostKeyPin"]],
          [{ privateKey: other.private, passphrase: undefined }, ["privateKey"]],
          [{ triggers: ["vm-id-2"] }, ["triggers"]],
          [{ jumpHost: { host: "127.0.0.1", username: "jump" } }, ["jumpHost"]],
          [{ host: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }, ["host"]],
          [{ triggers: ["04da6b54-80e4-46f7-96ec-b56ff0331ba9"] }, ["triggers"]],
        ];
        for (const [change, replaces] of cases) {
          const diff = await provider.diff(created.id, created.outs, { ...inputs, ...change });
          assert.deepEqual([diff.changes, diff.replaces], [true, replaces], JSON.stringify(change));
        }
      });

      it("diff: an unknown value that is not a replacing one only may update", async () => {
        const diff = await provider.diff(created.id, created.outs, {
          ...inputs,
          timeout: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        });
        assert.deepEqual([diff.changes, diff.replaces], [true, []]);
      });

      it("update keeps the outputs of the wait and records the new timeouts", async () => {
        const { outs } = await provider.update(created.id, created.outs, {
          ...inputs,
          timeout: "20m",
        });
        assert.equal(outs?.timeout, "20m");
        assert.equal(outs?.hostKey, created.outs.hostKey);
        assert.equal(outs?.readyAt, created.outs.readyAt);
      });

      it("read (refresh) returns the recorded state without probing the server", async () => {
        await sshd.stop();
        let read: unknown;
        const connections = await connectionsDuring(sshd.port, async () => {
          read = await provider.read(created.id, created.outs);
        });
        assert.deepEqual(read, { id: created.id, props: created.outs });
        assert.equal(connections, 0);
      });

      it("delete has nothing to do", async () => {
        assert.equal(await provider.delete(created.id, created.outs), undefined);
      });

      it("create fails with the engine's summary when sshd is not ready in time", async () => {
        await sshd.stop();
        console.log = () => undefined;
        try {
          await assert.rejects(provider.create({ ...inputs, timeout: 1.5 }), (error: Error) => {
            // The engine's error, its code kept; no `id`, which would make it a partial create.
            assert.equal(error.name, "SshNotReadyError");
            assert.equal((error as Error & { code?: string }).code, "SSH_NOT_READY");
            assert.equal("id" in error, false);
            assert.match(
              error.message,
              /^sshd on 127\.0\.0\.1:\d+ never answered: \d+ × connection refused over 1\.5s \(port closed/,
            );
            assertNoSecret(error.message, "the error");
            return true;
          });
        } finally {
          console.log = realLog;
        }
      });
    },
  );
});
