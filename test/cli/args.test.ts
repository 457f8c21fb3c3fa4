// The ssh-ready command line in-process (`run(argv, io)`): every bad input is one line naming the flag, the same
// ending, exit 2, no connection, and JSON on stdout with --json; and what a shell user expects of ssh's flags.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parseCommandLine } from "../../components/cli/args";
import { run } from "../../components/cli/ssh-ready";
import { ed25519, sshKeygen } from "../support/keys";

const dir = mkdtempSync(join(tmpdir(), "ssh-ready-args-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function keyFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

async function sshReady(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = "";
  let stderr = "";
  const code = await run(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env,
  });
  return { code, stdout, stderr };
}

const user = ed25519();
const userKey = keyFile("id_ed25519", user.private);
const encrypted = keyFile("encrypted", sshKeygen("ed25519", { passphrase: "s3cret-pass" }).private);
const junk = keyFile("junk", "not a key\n");

/** Bad input → the one line of the message (after "ssh-ready: "). Port 1 on loopback: nothing may connect. */
const BAD: [string, string[], string, NodeJS.ProcessEnv?][] = [
  ["unknown flag", ["127.0.0.1", "--bogus"], "unknown option --bogus"],
  ["no host", [], "missing the host to wait for"],
  ["two hosts", ["a", "b"], "one host only, got: a b"],
  ["bad host", ["bad host!"], 'host is not a valid host name or IP address: "bad host!"'],
  ["port in the host", ["h:22"], 'host: give the port with -p, not in "h:22"'],
  ["port out of range", ["h", "-p", "70000"], "-p: port must be from 1 to 65535, got 70000"],
  ["negative port", ["h", "-p", "-5"], '-p: port must be a number from 1 to 65535, got "-5"'],
  ["port not a number", ["h", "-p", "ssh"], '-p: port must be a number from 1 to 65535, got "ssh"'],
  [
    "unparsable duration",
    ["h", "--timeout", "soon"],
    '--timeout is not a duration: "soon" (write e.g. "90s", "10m", "1m30s", "2d" or a number of seconds)',
  ],
  [
    "negative duration, joined",
    ["h", "--timeout=-5s"],
    '--timeout must not be negative, got "-5s"',
  ],
  [
    "negative duration, apart",
    ["h", "--timeout", "-5s"],
    '--timeout must not be negative, got "-5s"',
  ],
  ["zero duration", ["h", "--attempt-timeout", "0"], "--attempt-timeout must be longer than zero"],
  [
    "unreadable key file",
    ["h", "-i", "/nonexistent/key"],
    "-i /nonexistent/key: cannot read the key file (ENOENT)",
  ],
  ["malformed key", ["h", "-i", junk], `-i ${junk} is not a private key in OpenSSH or PEM format`],
  [
    "encrypted key without passphrase",
    ["h", "-i", encrypted],
    `-i ${encrypted} is encrypted: give its passphrase in SSH_READY_PASSPHRASE`,
  ],
  [
    "wrong passphrase",
    ["h", "-i", encrypted],
    `SSH_READY_PASSPHRASE does not decrypt -i ${encrypted} (wrong passphrase?)`,
    { SSH_READY_PASSPHRASE: "nope" },
  ],
  ["level auth without a key", ["h", "--level", "auth"], '-i is required for level "auth"'],
  [
    "unknown level",
    ["h", "--level", "ping"],
    '--level must be one of tcp, banner, auth, command, got "ping"',
  ],
  [
    "bad pin",
    ["h", "-i", userKey, "--host-key-pin", "SHA256:short"],
    '--host-key-pin entry 1 is neither a SHA256: fingerprint nor an OpenSSH public key line: "SHA256:short"',
  ],
  [
    "pin below a login level",
    ["h", "--level", "banner", "--host-key-pin", user.public],
    '--host-key-pin is checked during login: use level "auth" or "command", not "banner"',
  ],
  [
    "a 0.1.0 flag",
    ["h", "--host-key", "SHA256:x"],
    "--host-key is now --host-key-pin (renamed in 0.2.0)",
  ],
  [
    "jump flags without -J",
    ["h", "--jump-identity", userKey],
    "--jump-identity and --jump-host-key-pin need -J [USER@]HOST",
  ],
  ["jump port out of range", ["h", "-J", "u@b:0"], "-J: port must be from 1 to 65535, got 0"],
  ["user given twice", ["a@h", "-l", "b"], 'user given twice: "a@" and -l b'],
];

describe("ssh-ready's bad input, in-process", () => {
  for (const [name, argv, message, env] of BAD) {
    it(`${name}: one line, exit 2, the same ending`, async () => {
      const result = await sshReady(argv, env);
      assert.deepEqual(result, {
        code: 2,
        stdout: "",
        stderr: `ssh-ready: ${message}\nTry 'ssh-ready --help'.\n`,
      });
    });
    it(`${name}: the same message as JSON with --json`, async () => {
      const result = await sshReady([...argv, "--json"], env);
      assert.equal(result.code, 2);
      assert.equal(result.stderr, `ssh-ready: ${message}\nTry 'ssh-ready --help'.\n`);
      assert.deepEqual(JSON.parse(result.stdout), { error: { name: "UsageError", message } });
    });
  }

  it("starts every message the same way: lower case, or the name of a flag or variable", () => {
    for (const [name, , message] of BAD) {
      assert.match(message, /^(?:[a-z"]|-|SSH_READY_PASSPHRASE )/, name);
      assert.doesNotMatch(message, /\n/, name);
    }
  });

  it("never shows a passphrase", async () => {
    const result = await sshReady(["h", "-i", encrypted, "--json"], {
      SSH_READY_PASSPHRASE: "nope",
    });
    assert.ok(!`${result.stdout}${result.stderr}`.includes("nope"));
  });
});

describe("ssh-ready's command line, as ssh's users expect", () => {
  const parse = (argv: string[]) => parseCommandLine(argv, {}).request.options;

  it("logs in as the current user when neither -l nor user@ is given, as ssh does", () => {
    assert.equal(parse(["h", "-i", userKey]).username, userInfo().username);
    assert.equal(parse(["h", "--level", "command", "-i", userKey]).username, userInfo().username);
    assert.equal(parse(["h"]).username, undefined, "no login at level banner: no user needed");
    assert.equal(parse(["ops@h", "-i", userKey]).username, "ops");
    assert.equal(parse(["h", "-l", "ops", "-i", userKey]).username, "ops");
    assert.equal(
      parse(["h", "-i", userKey, "-J", "bastion"]).jumpHost?.username,
      userInfo().username,
    );
  });

  it("takes IPv6 addresses as ssh does: bare, or in brackets with a port", () => {
    assert.equal(parse(["::1"]).host, "::1");
    assert.equal(parse(["fe80::1"]).host, "fe80::1");
    assert.equal(parse(["[::1]"]).host, "[::1]".slice(1, -1));
    const jump = parse(["h", "-i", userKey, "-J", "ops@[::1]:2222"]).jumpHost;
    assert.deepEqual([jump?.host, jump?.port, jump?.username], ["::1", 2222, "ops"]);
    const bare = parse(["h", "-i", userKey, "-J", "ops@fe80::1"]).jumpHost;
    assert.deepEqual([bare?.host, bare?.port], ["fe80::1", undefined]);
  });

  it("lists -h and -V in its synopsis", async () => {
    const { stdout, code } = await sshReady(["--help"]);
    assert.equal(code, 0);
    assert.match(
      stdout,
      /^Usage: ssh-ready \[user@\]host \[options\]\n {7}ssh-ready -h \| --help\n {7}ssh-ready -V \| --version\n/,
    );
  });
});
