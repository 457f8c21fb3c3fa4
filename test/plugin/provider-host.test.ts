// The provider plugin started as Pulumi's Node language host starts a plugin from source (the SDK's own
// run-plugin, in a program directory with no node_modules, as a Python program's is), then driven over gRPC
// in the engine's order: plugin info, schema, Configure, Check → Create (a real sshd that starts late) →
// Diff → Read (no probe) → Update → Delete. Secrets arrive and leave marked, as the engine sends and expects.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fingerprintOf } from "../../components/readiness/host-key";
import { parsePrivateKey } from "../../components/readiness/keys";
import { isWireSecret, secretOnWire } from "../../components/plugin/wire";
import { SSH_KEY_PAIR, SSH_READINESS } from "../../components/plugin/schema";
import { connectionsDuring } from "../support/bad-servers";
import { ed25519, sshKeygen } from "../support/keys";
import { opensshSkipReason } from "../support/openssh";
import { ProviderHost } from "../support/provider-host";
import { untilTrue } from "../support/until";
import { noSecretIn, unmarked } from "../support/secrets";
import { OpenSshServer, freePort } from "../../tools/simulator/openssh";

const REPO = resolve(__dirname, "../../..");
const PASSPHRASE = "correct-horse-battery";
const user = ed25519(PASSPHRASE);
const assertNoSecret = noSecretIn([PASSPHRASE], [user.private]);

const noPlainSecret = (value: unknown, where: string) =>
  assertNoSecret(JSON.stringify(unmarked(value)), where);

describe(
  "the provider plugin, run from source and driven over gRPC",
  { skip: opensshSkipReason() },
  () => {
    const name = "vm-ready";
    let plugin: ProviderHost;
    let sshd: OpenSshServer;
    /** The inputs as the engine sends them to a plugin that accepts secrets: the key and passphrase marked. */
    let inputs: Record<string, unknown>;
    let checked: Record<string, unknown>;
    let created: { id: string; properties: Record<string, unknown> };
    let createStarted = 0;
    let createEnded = 0;
    let sshdStartedAt = 0;

    before(async () => {
      sshd = new OpenSshServer();
      sshd.authorize(user.public);
      sshd.port = await freePort();
      inputs = {
        host: "127.0.0.1",
        port: sshd.port,
        username: sshd.user,
        privateKey: secretOnWire(user.private),
        passphrase: secretOnWire(PASSPHRASE),
        timeout: "30s",
        triggers: ["vm-1"],
      };
      plugin = await ProviderHost.startReadinessPlugin();
      const configured = await plugin.configure();
      assert.equal(configured.getAcceptsecrets(), true);
      ({ inputs: checked } = await plugin.check(name, {}, inputs));
      // sshd starts once the plugin has been refused: the wait is seen waiting, however slow the machine.
      let refusedAt = 0;
      const late = untilTrue(
        () => plugin.lines.some((l) => /attempt 1: connection refused/.test(l)),
        30_000,
        "the plugin's first refused attempt",
      )
        .then(async () => {
          refusedAt = performance.now();
          await sshd.start();
        })
        // Should the plugin never be refused, sshd never starts, and Create's own error says so.
        .catch(() => undefined);
      createStarted = performance.now();
      created = await plugin.create(name, checked);
      createEnded = performance.now();
      await late;
      sshdStartedAt = refusedAt;
    });
    after(async () => {
      await plugin.stop();
      await sshd.dispose();
    });

    it("reports the package's version and serves the schema the build wrote", async () => {
      const { version } = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
        version: string;
      };
      assert.equal(await plugin.pluginVersion(), version);
      const shipped = JSON.parse(
        readFileSync(join(REPO, "dist/components/plugin/schema.json"), "utf8"),
      ) as Record<string, unknown>;
      assert.deepEqual(await plugin.schema(), shipped);
    });

    it("Check keeps the secret marks, records the key by fingerprint, and labels by the resource's name", () => {
      assert.ok(isWireSecret(checked.privateKey) && isWireSecret(checked.passphrase));
      const record = checked.__recorded as Record<string, unknown>;
      assert.equal(
        record.keyFingerprint,
        fingerprintOf(parsePrivateKey(user.private, PASSPHRASE).getPublicSSH()),
      );
      assert.equal(checked.label, name);
      noPlainSecret(checked, "Check's response");
    });

    it("Check names each bad property with the engine's message", async () => {
      const { failures } = await plugin.check(name, {}, { ...inputs, port: 0, hostKeyPin: "no" });
      assert.deepEqual(
        failures.map((f) => f.property),
        ["port", "hostKeyPin"],
      );
      assert.equal(failures[0].reason, "[port] must be from 1 to 65535, got 0");
    });

    it("Create blocks until the late sshd accepts the key, and returns no secret", () => {
      assert.ok(sshdStartedAt > createStarted, "sshd started after the wait began");
      assert.ok(createEnded > sshdStartedAt, "not before sshd was up");
      const p = created.properties;
      assert.equal(p.hostKey, sshd.hostKeyPublic);
      assert.equal(p.knownHostsLine, `[127.0.0.1]:${sshd.port} ${sshd.hostKeyPublic}`);
      assert.ok(!("privateKey" in p) && !("passphrase" in p));
      noPlainSecret(p, "Create's response");
      assert.ok(
        plugin.lines.some((l) => l === `[${name}] waiting for sshd on 127.0.0.1:${sshd.port}`),
        plugin.lines.join("\n"),
      );
      assertNoSecret(plugin.lines.join("\n"), "the plugin's output");
    });

    it("Diff: the same inputs are DIFF_NONE; a new host replaces, a new timeout updates", async () => {
      // As the engine does: the new inputs are checked first, then compared with the outputs.
      const diff = async (change: Record<string, unknown>) => {
        const { inputs: news } = await plugin.check(name, checked, { ...inputs, ...change });
        return plugin.diff(name, created.id, created.properties, news);
      };
      assert.equal((await diff({})).changes, "DIFF_NONE");
      assert.deepEqual((await diff({ host: "localhost" })).replaces, ["host"]);
      const timeout = await diff({ timeout: "20m" });
      assert.deepEqual([timeout.changes, timeout.replaces], ["DIFF_SOME", []]);
    });

    it("Read (refresh) gives the state back and does not probe: sshd is stopped", async () => {
      await sshd.stop();
      let read: { id: string; properties: Record<string, unknown> } | undefined;
      const connections = await connectionsDuring(sshd.port, async () => {
        read = await plugin.read(name, created.id, created.properties);
      });
      assert.equal(connections, 0);
      assert.deepEqual(read, { id: created.id, properties: created.properties });
    });

    it("Update (a new timeout) keeps what the wait found and waits for nothing", async () => {
      const { inputs: news } = await plugin.check(name, checked, { ...inputs, timeout: "45s" });
      const outs = await plugin.update(name, created.id, created.properties, news);
      assert.equal(outs.timeout, "45s");
      assert.equal(outs.hostKey, created.properties.hostKey);
      noPlainSecret(outs, "Update's response");
    });

    it("Delete does nothing and succeeds", async () => {
      await plugin.delete(name, created.id, created.properties);
    });

    it("SshKeyPair: Create returns the private key marked secret, and a refresh keeps it", async () => {
      plugin.type = SSH_KEY_PAIR;
      try {
        const pair = await plugin.create("host-key", { comment: "vm", keyType: "ecdsa" });
        const { privateKey, publicKey, fingerprint } = pair.properties;
        assert.ok(isWireSecret(privateKey), "the private key leaves the plugin marked secret");
        assert.match(String(privateKey.value), /^-----BEGIN OPENSSH PRIVATE KEY-----/);
        assert.match(String(publicKey), /^ecdsa-sha2-nistp256 AAAA\S+ vm$/);
        assert.equal(pair.id, fingerprint);
        const read = await plugin.read("host-key", pair.id, pair.properties);
        assert.ok(isWireSecret(read.properties.privateKey));
      } finally {
        plugin.type = SSH_READINESS;
      }
    });

    it("refuses a type it does not serve, naming it", async () => {
      plugin.type = "vm-with-ready-ssh:index:Nothing";
      try {
        await assert.rejects(
          plugin.create("x", {}),
          /has no resource type vm-with-ready-ssh:index:Nothing/,
        );
      } finally {
        plugin.type = SSH_READINESS;
      }
    });
  },
);

describe("the provider plugin, cancelled by the engine", () => {
  it("ends a wait in progress at Cancel (the user's Ctrl-C), not at its deadline", async () => {
    const plugin = await ProviderHost.startReadinessPlugin();
    try {
      await plugin.configure();
      // A closed port and a 10-minute deadline: only Cancel can end this wait soon.
      const inputs = { host: "127.0.0.1", port: await freePort(), level: "tcp", timeout: "10m" };
      const { inputs: checked } = await plugin.check("waiting", {}, inputs);
      const creating = plugin.create("waiting", checked).catch((e: unknown) => e);
      for (let i = 0; i < 300 && !plugin.lines.some((l) => /attempt 1: /.test(l)); i++)
        await new Promise((r) => setTimeout(r, 20));
      assert.ok(
        plugin.lines.some((l) => /attempt 1: connection refused/.test(l)),
        "it waits",
      );
      const cancelledAt = performance.now();
      await plugin.cancel();
      const error = (await creating) as Error;
      const tookMs = performance.now() - cancelledAt;
      assert.ok(error instanceof Error, "the create fails");
      assert.match(
        error.message,
        /the wait for sshd was stopped after [\d.]+m?s: the deployment was cancelled/,
      );
      // At Cancel, not at its deadline 10 minutes away (how soon is measured, not asserted: see docs).
      assert.ok(tookMs < 60_000, `ended ${Math.round(tookMs)} ms after Cancel`);
      process.stderr.write(`Cancel ended the wait in ${Math.round(tookMs)} ms\n`);
      // Its last line too, logged after the create's answer (the engine's log is a call of its own).
      await untilTrue(
        () =>
          plugin.lines.some((l) =>
            /\[waiting\] stopped after .*: the deployment was cancelled/.test(l),
          ),
        10_000,
        "the line saying the wait stopped",
      );
    } finally {
      await plugin.stop();
    }
  });

  it("answers the engine's other calls while Check decrypts a key of 256 bcrypt rounds", async () => {
    const slow = sshKeygen("ed25519", { passphrase: "slow", rounds: 256 });
    const plugin = await ProviderHost.startReadinessPlugin();
    try {
      await plugin.configure();
      const answered: string[] = [];
      const checking = plugin
        .check(
          "slow-key",
          {},
          {
            host: "127.0.0.1",
            username: "u",
            privateKey: secretOnWire(slow.private),
            passphrase: secretOnWire("slow"),
          },
        )
        .then((result) => (answered.push("Check"), result));
      // Sent after the Check: a plugin that decrypts on its event loop answers it only after the Check.
      const info = plugin.pluginVersion().then(() => answered.push("GetPluginInfo"));
      const [{ inputs: checked, failures }] = await Promise.all([checking, info]);
      assert.deepEqual(answered, ["GetPluginInfo", "Check"]);
      assert.deepEqual(failures, []);
      assert.equal(
        (checked.__recorded as Record<string, unknown>).keyFingerprint,
        fingerprintOf(parsePrivateKey(slow.private, "slow").getPublicSSH()),
      );
    } finally {
      await plugin.stop();
    }
  });
});
