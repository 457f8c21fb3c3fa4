// Bad input gets a clear error naming the option, before any network traffic.
import assert from "node:assert/strict";
import { format, inspect } from "node:util";
import { after, before, describe, it } from "node:test";
import { waitForSsh } from "../../components/readiness";
import type { WaitForSshOptions } from "../../components/readiness/options";
import { resolveOptions } from "../../components/readiness/resolve";
import { validateVmArgs } from "../../components/azure/validate";
import { run } from "../../components/cli/ssh-ready";
import { checkInputs } from "../../components/ssh-readiness/inputs";
import { silentServer, type Listening } from "../support/bad-servers";
import { ed25519, rsa, sshKeygen } from "../support/keys";

const user = ed25519();

describe("input validation", () => {
  let server: Listening;
  before(async () => {
    server = await silentServer();
  });
  after(() => server.close());

  /** Asserts waitForSsh rejects with this error and opened no connection to a listening server. */
  async function rejects(options: Partial<WaitForSshOptions>, name: string, message: string) {
    const lookups: string[] = [];
    await assert.rejects(
      waitForSsh({
        host: "127.0.0.1",
        port: server.port,
        timeout: "2s",
        lookup: ((hostname: string) => lookups.push(hostname)) as never,
        ...options,
      } as WaitForSshOptions),
      { name, message },
    );
    assert.equal(server.connections(), 0, "no connection before the input is valid");
    assert.deepEqual(lookups, [], "no name lookup before the input is valid");
  }

  it("takes the schedule's pauses as durations, bounded, and refuses unknown or 0.1-style keys", async () => {
    const resolved = resolveOptions({
      host: "h",
      schedule: { fastInterval: "500ms", politeInterval: 2, maxInterval: "1m", jitter: 0 },
    }).schedule;
    assert.deepEqual(
      [resolved.fastIntervalMs, resolved.politeIntervalMs, resolved.maxIntervalMs, resolved.jitter],
      [500, 2000, 60_000, 0],
    );
    // The pause that overflowed Node's timer (1e10 ms fired after 1 ms: five key offers in 277 ms).
    await rejects(
      { schedule: { politeInterval: "1e10ms" } },
      "InvalidOptionError",
      '[schedule.politeInterval] is not a duration: "1e10ms" (write e.g. "90s", "10m", "1m30s", "2d" or a number of seconds)',
    );
    await rejects(
      { schedule: { maxInterval: "30d" } },
      "InvalidOptionError",
      '[schedule.maxInterval] must be at most 7 days (168h), got "30d"',
    );
    await rejects(
      { schedule: { politeIntervalMs: 1e10 } as never },
      "InvalidOptionError",
      '[schedule.politeIntervalMs] is now [schedule.politeInterval], a duration like every other time option (seconds, or a string with a unit): write politeInterval: "10000000000ms"',
    );
    await rejects(
      { schedule: { politeIntreval: "2s" } as never },
      "InvalidOptionError",
      "[schedule.politeIntreval] is not a schedule option: fastInterval, politeInterval, maxInterval, steadyAttempts, backoffFactor, jitter",
    );
    await rejects(
      { schedule: { jitter: 2 } },
      "InvalidOptionError",
      "[schedule.jitter] must be from 0 to 1, got 2",
    );
    await rejects(
      { schedule: { steadyAttempts: 1.5 } },
      "InvalidOptionError",
      "[schedule.steadyAttempts] must be an integer from 0 to 100",
    );
    await rejects(
      { schedule: { politeInterval: "20s" } },
      "InvalidOptionError",
      "[schedule.politeInterval] must not be longer than [schedule.maxInterval]",
    );
  });

  it("rejects an empty or malformed host", async () => {
    await rejects({ host: "" }, "InvalidOptionError", "[host] must be a host name or IP address");
    await rejects(
      { host: "bad host!" },
      "InvalidOptionError",
      '[host] is not a valid host name or IP address: "bad host!"',
    );
  });

  it("rejects a port outside 1–65535 or not an integer", async () => {
    await rejects({ port: 0 }, "InvalidOptionError", "[port] must be from 1 to 65535, got 0");
    await rejects(
      { port: 65536 },
      "InvalidOptionError",
      "[port] must be from 1 to 65535, got 65536",
    );
    await rejects(
      { port: 22.5 },
      "InvalidOptionError",
      "[port] must be an integer from 1 to 65535",
    );
  });

  it("rejects level auth without a key", async () => {
    await rejects(
      { level: "auth", username: "u" },
      "InvalidOptionError",
      '[privateKey] is required for level "auth"',
    );
  });

  it("rejects an unknown level", async () => {
    await rejects(
      { level: "ping" as never },
      "InvalidOptionError",
      '[level] must be one of tcp, banner, auth, command, got "ping"',
    );
  });

  it("rejects a missing user name at level auth", async () => {
    await rejects(
      { privateKey: user.private },
      "InvalidOptionError",
      "[username] must be a user name",
    );
  });

  it("rejects a malformed key without echoing it", async () => {
    await rejects(
      {
        username: "u",
        privateKey:
          "-----BEGIN OPENSSH PRIVATE KEY-----\nnot really\n-----END OPENSSH PRIVATE KEY-----\n",
      },
      "InvalidOptionError",
      "[privateKey] is not a private key in OpenSSH or PEM format",
    );
  });

  it("rejects a public key given as the private key", async () => {
    await rejects(
      { username: "u", privateKey: user.public },
      "InvalidOptionError",
      "[privateKey] holds a public key; give the private key",
    );
  });

  it("rejects an encrypted key without a passphrase", async () => {
    await rejects(
      { username: "u", privateKey: ed25519("correct horse").private },
      "InvalidOptionError",
      "[privateKey] is encrypted: give its passphrase in [passphrase]",
    );
    await rejects(
      {
        username: "u",
        privateKey: sshKeygen("rsa", { pem: true, passphrase: "correct horse" }).private,
      },
      "InvalidOptionError",
      "[privateKey] is encrypted: give its passphrase in [passphrase]",
    );
  });

  it("rejects a wrong passphrase", async () => {
    await rejects(
      { username: "u", privateKey: ed25519("correct horse").private, passphrase: "battery staple" },
      "InvalidOptionError",
      "[passphrase] does not decrypt [privateKey] (wrong passphrase?)",
    );
  });

  it("rejects RSA keys under 2048 bits", async () => {
    await rejects(
      { username: "u", privateKey: rsa(1024).private },
      "InvalidOptionError",
      "[privateKey] is a 1024-bit RSA key; servers refuse RSA keys under 2048 bits",
    );
  });

  it("rejects negative, zero or unparsable durations", async () => {
    await rejects({ timeout: -1 }, "InvalidOptionError", "[timeout] must not be negative, got -1");
    await rejects(
      { attemptTimeout: 0 },
      "InvalidOptionError",
      "[attemptTimeout] must be longer than zero",
    );
    await rejects(
      { timeout: "soon" },
      "InvalidOptionError",
      '[timeout] is not a duration: "soon" (write e.g. "90s", "10m", "1m30s", "2d" or a number of seconds)',
    );
  });

  it("rejects a host key pin that is neither a fingerprint nor a key line", async () => {
    await rejects(
      { username: "u", privateKey: user.private, hostKeyPin: ["SHA256:abc"] },
      "InvalidOptionError",
      '[hostKeyPin] entry 1 is neither a SHA256: fingerprint nor an OpenSSH public key line: "SHA256:abc"',
    );
  });

  it("names the new option for a 0.1.0 name, rather than ignoring the value", async () => {
    await rejects(
      { username: "u", privateKey: user.private, hostKey: "SHA256:abc" } as never,
      "InvalidOptionError",
      "[hostKey] is now [hostKeyPin] (renamed in 0.2.0)",
    );
    await rejects(
      {
        username: "u",
        privateKey: user.private,
        jumpHost: { host: "b", username: "u", hostKey: "SHA256:abc" } as never,
      },
      "InvalidOptionError",
      "[jumpHost.hostKey] is now [jumpHost.hostKeyPin] (renamed in 0.2.0)",
    );
  });

  it("rejects a pin at a level that never sees the host key", async () => {
    await rejects(
      { level: "banner", hostKeyPin: ed25519().public },
      "InvalidOptionError",
      '[hostKeyPin] is checked during login: use level "auth" or "command", not "banner"',
    );
  });

  it("rejects a command below level command", async () => {
    await rejects(
      { username: "u", privateKey: user.private, command: "true" },
      "InvalidOptionError",
      '[command] needs level "command", not "auth"',
    );
  });

  it("rejects a jump host without a user, naming the nested option", async () => {
    await rejects(
      { username: "u", privateKey: user.private, jumpHost: { host: "127.0.0.1" } as never },
      "InvalidOptionError",
      "[jumpHost.username] must be a user name",
    );
  });
});

describe("accepted keys", () => {
  it("reads OpenSSH and PEM keys of every accepted type", () => {
    for (const pair of [
      sshKeygen("ed25519"),
      sshKeygen("ecdsa"),
      sshKeygen("rsa"),
      sshKeygen("rsa", { pem: true }),
      sshKeygen("ed25519", { passphrase: "correct horse" }),
    ]) {
      // The passphrase is used only by the encrypted key.
      const opts = resolveOptions({
        host: "h",
        username: "u",
        privateKey: pair.private,
        passphrase: "correct horse",
      });
      assert.equal(opts.level, "auth");
      // The key read is the one ssh-keygen made: its public half is the .pub file's.
      const [type, base64] = pair.public.split(" ");
      assert.equal(opts.key?.type, type);
      assert.equal(opts.key?.getPublicSSH().toString("base64"), base64);
    }
  });

  it("defaults to level auth with a key and banner without", () => {
    assert.equal(resolveOptions({ host: "h" }).level, "banner");
    assert.equal(
      resolveOptions({ host: "h", username: "u", privateKey: user.private }).level,
      "auth",
    );
  });

  it("prints no key material from the resolved options, however they are printed", () => {
    const opts = resolveOptions({
      host: "h",
      username: "u",
      privateKey: user.private,
      jumpHost: { host: "b", username: "u" },
    });
    // The parsed key's private half, in the form it is held (PEM, in a symbol-keyed field).
    const privateLines = opts
      .key!.getPrivatePEM()
      .split("\n")
      .filter((l) => !l.startsWith("-----"));
    const printed = [
      inspect(opts, { depth: Infinity }),
      inspect(opts, { depth: Infinity, showHidden: true }),
      format("%o", opts),
      JSON.stringify(opts),
    ];
    for (const text of printed) {
      for (const line of privateLines) assert.ok(!text.includes(line), text);
      assert.doesNotMatch(text, /PRIVATE KEY/);
      assert.match(text, /\[private ssh-ed25519 key SHA256:[\w+/]+\]/);
    }
  });
});

describe("one level rule on every surface", () => {
  it("refuses an unknown level with one message, naming each surface's own input", async () => {
    const rule = (name: string) => `${name} must be one of tcp, banner, auth, command, got "ping"`;
    assert.throws(() => resolveOptions({ host: "h", level: "ping" as never }), {
      name: "InvalidOptionError",
      message: rule("[level]"),
    });
    assert.deepEqual(checkInputs({ host: "h", level: "ping" as never }), [
      { property: "level", reason: rule("[level]") },
    ]);
    assert.throws(
      () =>
        validateVmArgs("vm", {
          location: "westeurope",
          adminUsername: "azureuser",
          readiness: { level: "ping" as never },
        }),
      { name: "InvalidOptionError", message: rule("[readiness.level]") },
    );
    let stderr = "";
    const code = await run(["h", "--level", "ping"], {
      stdout: () => undefined,
      stderr: (t) => (stderr += t),
      env: {},
    });
    assert.equal(code, 2);
    assert.equal(stderr, `ssh-ready: ${rule("--level")}\nTry 'ssh-ready --help'.\n`);
  });
});
