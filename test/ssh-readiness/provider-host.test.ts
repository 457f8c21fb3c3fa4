// End to end through the real dynamic-provider host of @pulumi/pulumi, over gRPC, in the engine's call order:
// Configure → Check → Create → Diff → Read → Update → Delete, against a real sshd that comes up late.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { SshReadiness } from "../../components/ssh-readiness";
import { noSecretIn } from "../support/secrets";
import { ed25519 } from "../support/keys";
import { OpenSshServer, freePort } from "../../tools/simulator/openssh";
import { opensshSkipReason } from "../support/openssh";
import { connectionsDuring, ssh2Server } from "../support/bad-servers";
import { ProviderHost } from "../support/provider-host";
import { installMocks, value } from "../support/pulumi-mocks";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const PASSPHRASE = "correct-horse-battery";
const user = ed25519(PASSPHRASE);
const assertNoSecret = noSecretIn([PASSPHRASE], [user.private]);

describe("SshReadiness in the real provider host", { skip: opensshSkipReason() }, () => {
  const name = "vm-ready";
  let host: ProviderHost;
  let sshd: OpenSshServer;
  let inputs: Record<string, unknown>;
  let created: { id: string; properties: Record<string, unknown> };
  let createStarted = 0;
  let createEnded = 0;
  let createLines: string[] = [];

  before(async () => {
    const registered = await installMocks();
    const resource = new SshReadiness(name, { host: "127.0.0.1" });
    await value(resource.urn);
    const provider = registered.find((r) => r.name === name)!.inputs.__provider as string;
    sshd = new OpenSshServer();
    sshd.authorize(user.public);
    sshd.port = await freePort();
    // The engine strips secret markers (the host accepts no secrets) and sends plain values.
    inputs = {
      __provider: provider,
      label: name,
      host: "127.0.0.1",
      port: sshd.port,
      username: sshd.user,
      privateKey: user.private,
      passphrase: PASSPHRASE,
      timeout: "30s",
      triggers: ["vm-1"],
    };
    host = await ProviderHost.start(resolve(__dirname, "../../.."));
    await host.configure({ "vm-with-ready-ssh:unused": "x" });
    // Shared setup: one Create against an sshd that starts late; the tests below read what it returned.
    const late = setTimeout(() => void sshd.start(), 1500);
    createStarted = performance.now();
    try {
      created = await host.create(name, inputs);
    } finally {
      clearTimeout(late);
    }
    createEnded = performance.now();
    createLines = [...host.lines];
  });
  after(async () => {
    await host.stop();
    await sshd.dispose();
  });

  it("Check accepts valid inputs, keeping every key (so secrets stay secret), and records them once", async () => {
    const { inputs: checked, failures } = await host.check(name, {}, inputs);
    assert.deepEqual(failures, []);
    assert.deepEqual(Object.keys(checked).sort(), [...Object.keys(inputs), "__recorded"].sort());
    const record = checked.__recorded as Record<string, unknown>;
    assert.deepEqual(Object.keys(record).sort(), ["form", "keyFingerprint"], "fingerprints only");
    assert.match(String(record.keyFingerprint), /^SHA256:/);
    const diff = await host.diff(name, created.id, created.properties, checked);
    assert.equal(diff.changes, "DIFF_NONE", "the record compares equal to the outputs it became");
  });

  it("Check names each bad property", async () => {
    const { failures } = await host.check(
      name,
      {},
      { ...inputs, port: 0, hostKeyPin: "not a key" },
    );
    assert.deepEqual(
      failures.map((f) => f.property),
      ["port", "hostKeyPin"],
    );
    assert.equal(failures[0].reason, "[port] must be from 1 to 65535, got 0");
  });

  it("Check refuses a private key pasted as the label, and names it without printing it", async () => {
    const { failures } = await host.check(name, {}, { ...inputs, label: user.private });
    assert.deepEqual(failures, [
      {
        property: "label",
        reason:
          "[label] holds a private key: a label is a short name put before progress lines, which are not secret",
      },
    ]);
  });

  it("Check accepts unknown values during preview", async () => {
    const { failures } = await host.check(
      name,
      {},
      { ...inputs, host: UNKNOWN, privateKey: UNKNOWN, triggers: [UNKNOWN] },
    );
    assert.deepEqual(failures, []);
  });

  it("Create blocks until the late sshd accepts the key, and prints progress on the host's output", () => {
    assert.ok(createEnded - createStarted >= 1500, "not before sshd was up");
    const p = created.properties;
    assert.equal(p.hostKey, sshd.hostKeyPublic);
    assert.equal(p.knownHostsLine, `[127.0.0.1]:${sshd.port} ${sshd.hostKeyPublic}`);
    assert.equal(p.username, sshd.user);
    assert.equal(p.__provider, inputs.__provider);
    assert.ok(!("privateKey" in p) && !("passphrase" in p));
    const progress = createLines.filter((l) => l.startsWith(`[${name}] `));
    assert.equal(progress[0], `[${name}] waiting for sshd on 127.0.0.1:${sshd.port}`);
    assert.ok(
      progress.some((l) => /attempt 1: connection refused — sshd not listening yet/.test(l)),
    );
    assert.match(progress.at(-1)!, new RegExp(`^\\[${name}\\] ready at level auth after \\d`));
  });

  it("Diff: unchanged inputs are DIFF_NONE", async () => {
    assert.deepEqual(await host.diff(name, created.id, created.properties, inputs), {
      changes: "DIFF_NONE",
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("Diff: a new timeout is an update, a new host or trigger a replacement, an unknown host (preview) too", async () => {
    const diff = (change: Record<string, unknown>) =>
      host.diff(name, created.id, created.properties, { ...inputs, ...change });
    assert.deepEqual(await diff({ timeout: "20m" }), {
      changes: "DIFF_SOME",
      replaces: [],
      deleteBeforeReplace: false,
    });
    assert.deepEqual((await diff({ host: "localhost" })).replaces, ["host"]);
    assert.deepEqual((await diff({ triggers: ["vm-2"] })).replaces, ["triggers"]);
    assert.deepEqual((await diff({ host: UNKNOWN })).replaces, ["host"]);
  });

  it("Read (refresh) returns the recorded state and does not probe: sshd is stopped", async () => {
    await sshd.stop();
    let read: { id: string; properties: Record<string, unknown> } | undefined;
    const connections = await connectionsDuring(sshd.port, async () => {
      read = await host.read(name, created.id, created.properties);
    });
    assert.equal(read?.id, created.id);
    assert.deepEqual(read?.properties, created.properties);
    assert.equal(connections, 0);
  });

  it("Update keeps the outputs and does not wait again: sshd is stopped", async () => {
    await sshd.stop();
    const properties = await host.update(name, created.id, created.properties, {
      ...inputs,
      timeout: "20m",
    });
    assert.equal(properties.timeout, "20m");
    assert.equal(properties.hostKey, created.properties.hostKey);
    assert.equal(properties.readyAt, created.properties.readyAt);
  });

  it("Delete succeeds with nothing to do: no connection to the host, nothing printed", async () => {
    await sshd.stop();
    const linesBefore = host.lines.length;
    const connections = await connectionsDuring(sshd.port, () =>
      host.delete(name, created.id, created.properties),
    );
    assert.equal(connections, 0);
    assert.deepEqual(host.lines.slice(linesBefore), []);
  });

  it("Create fails with the engine's summary when sshd never comes", async () => {
    await sshd.stop();
    await assert.rejects(
      host.create(name, { ...inputs, timeout: 2 }),
      (error: Error & { details?: string }) => {
        assert.match(
          error.details ?? error.message,
          /sshd on 127\.0\.0\.1:\d+ never answered: \d+ × connection refused over 2\.0s \(port closed/,
        );
        assertNoSecret(error.message, "the error");
        return true;
      },
    );
  });

  it("Create's error carries the VM's console (serialLog): this boot's lines that matter, a quoted host key masked", async () => {
    await sshd.stop();
    const hostKey = ed25519().private;
    const dir = mkdtempSync(join(tmpdir(), "provider-console-"));
    try {
      const log = join(dir, "serial.log");
      const captured = readFileSync(
        resolve(__dirname, "../../../test/readiness/consoles/debian12-first-boot.serial.log"),
        "utf8",
      );
      // A cloud-init warning that quotes the user data, as a bad cloud-config can: its host private key with it.
      const warning = `[   52.0] cloud-init[429]: WARNING: Invalid cloud-config: ${JSON.stringify({ ssh_keys: { ed25519_private: hostKey } })}`;
      writeFileSync(log, `${captured}\r\n${warning}\r\n`);
      await assert.rejects(
        host.create(name, { ...inputs, timeout: 2, serialLog: log }),
        (error: Error & { details?: string }) => {
          const text = error.details ?? error.message;
          assert.match(
            text,
            /never answered: .*\nThe VM's console \(serial log \S+\), this boot's last lines that matter:\n {2}\| /s,
          );
          assert.match(
            text,
            /\n {2}\| \[ {3}52\.0\] cloud-init\[429\]: WARNING: Invalid cloud-config: .*\[secret\]/,
          );
          for (const line of hostKey.split("\n").filter((l) => l.length > 8))
            assert.ok(!text.includes(line), "no line of the host key");
          assertNoSecret(error.message, "the error");
          return true;
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("never printed a secret", () => {
    assertNoSecret(host.lines.join("\n"), "the host's output");
    assertNoSecret(JSON.stringify(created.properties), "the outputs");
  });
});

describe("SshReadiness in the real provider host, against a server that closes right after login", () => {
  it("fails Create with the engine's classified summary (reset), not an unhandled error", async () => {
    const registered = await installMocks();
    const resource = new SshReadiness("flaky", { host: "127.0.0.1" });
    await value(resource.urn);
    const provider = registered.find((r) => r.name === "flaky")!.inputs.__provider as string;
    const server = await ssh2Server({
      onClient: (client) => {
        client.on("authentication", (ctx) => ctx.accept());
        client.on("ready", () => client.end());
      },
    });
    const host = await ProviderHost.start(resolve(__dirname, "../../.."));
    try {
      await host.configure({ "vm-with-ready-ssh:unused": "x" });
      const plain = ed25519();
      await assert.rejects(
        host.create("flaky", {
          __provider: provider,
          label: "flaky",
          host: "127.0.0.1",
          port: server.port,
          username: "u",
          privateKey: plain.private,
          timeout: 2,
        }),
        (error: Error & { details?: string }) => {
          assert.match(
            error.details ?? error.message,
            /^u@127\.0\.0\.1:\d+ logs in, but could not run a command: \d+ × connection closed over 2\.0s/,
          );
          return true;
        },
      );
      assert.ok(
        host.lines.some((line) => /^\[flaky\] \+\d+\.\ds attempt 1: /.test(line)),
        host.lines.join("\n"),
      );
    } finally {
      await host.stop();
      await server.close();
    }
  });
});
