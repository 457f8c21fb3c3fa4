// Reading the user's private key: bounded in size and in decryption work, from the library and the CLI alike.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { run } from "../../components/cli/ssh-ready";
import {
  decryptPrivateKey,
  kdfRounds,
  MAX_KDF_ROUNDS,
  parsePrivateKey,
} from "../../components/readiness/keys";
import { utils } from "ssh2";
import { resolveOptions } from "../../components/readiness/resolve";
import { checkAndRecord, toWaitOptions } from "../../components/ssh-readiness/inputs";
import { ed25519, sshKeygen } from "../support/keys";
import { scratchDir } from "../support/scratch";

/**
 * The key text with its bcrypt rounds rewritten: the refusal comes before any decryption, so the key need not
 * decrypt (and ssh-keygen itself would take minutes to encrypt with that many rounds).
 */
function withRounds(text: string, rounds: number): string {
  const body =
    /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text)!;
  const blob = Buffer.from(body[1].replace(/\s+/g, ""), "base64");
  let at = "openssh-key-v1\0".length;
  for (let field = 0; field < 2; field++) at += 4 + blob.readUInt32BE(at); // cipher, kdf name
  const saltLength = blob.readUInt32BE(at + 4);
  blob.writeUInt32BE(rounds, at + 4 + 4 + saltLength);
  const lines = blob
    .toString("base64")
    .match(/.{1,70}/g)!
    .join("\n");
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/** ssh-ready run in-process; resolves with its exit code and what it printed. */
async function sshReady(argv: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const code = await run(argv, {
    stdout: (t) => (out += t),
    stderr: (t) => (out += t),
    env: { SSH_READY_PASSPHRASE: "pass" },
  });
  return { code, out };
}

describe("private keys", () => {
  it("decrypts an encrypted key once for every path of one operation, and a wrong passphrase once", () => {
    const key = sshKeygen("ed25519", { passphrase: "right", rounds: 32 });
    const decrypts = () => calls.filter((c) => c[0] === key.private && c[1] !== undefined).length;
    const calls: unknown[][] = [];
    const original = utils.parseKey;
    utils.parseKey = ((...args: Parameters<typeof original>) => {
      calls.push(args);
      return original(...args);
    }) as typeof original;
    try {
      const inputs = {
        host: "10.0.0.4",
        username: "u",
        privateKey: key.private,
        passphrase: "right",
        // The jump host shares the key: another path to the same decryption.
        jumpHost: { host: "bastion", username: "ops" },
      };
      // SshReadiness's check (the key alone, then with every rule), then create's engine options.
      assert.deepEqual(checkAndRecord(inputs).failures, []);
      resolveOptions(toWaitOptions(inputs));
      assert.equal(decrypts(), 1);
      // A wrong passphrase is tried once too; each later check says so, with the names its caller gave.
      assert.throws(() => parsePrivateKey(key.private, "wrong"), {
        message: "[passphrase] does not decrypt [privateKey] (wrong passphrase?)",
      });
      assert.throws(() => parsePrivateKey(key.private, "wrong", "ssh."), {
        message: "[ssh.passphrase] does not decrypt [ssh.privateKey] (wrong passphrase?)",
      });
      assert.equal(decrypts(), 2);
    } finally {
      utils.parseKey = original;
    }
  });

  it("refuses more than 64 KiB before parsing, without echoing it", () => {
    const huge = `-----BEGIN OPENSSH PRIVATE KEY-----\n${"QUFB".repeat(20_000)}\n-----END OPENSSH PRIVATE KEY-----\n`;
    assert.throws(() => parsePrivateKey(huge, undefined), {
      name: "InvalidOptionError",
      message:
        "[privateKey] is 80,071 bytes, not a private key (a key is a few KB; at most 64 KiB accepted)",
    });
  });

  it(`reads the bcrypt rounds of an encrypted key, and refuses more than ${MAX_KDF_ROUNDS} before decrypting`, () => {
    const ok = sshKeygen("ed25519", { passphrase: "pass", rounds: 16 });
    assert.equal(kdfRounds(ok.private), 16);
    assert.doesNotThrow(() => parsePrivateKey(ok.private, "pass"));
    const slow = withRounds(ok.private, 100_000);
    assert.equal(kdfRounds(slow), 100_000);
    assert.throws(() => parsePrivateKey(slow, "pass"), {
      name: "InvalidOptionError",
      message: `[privateKey] is encrypted with 100000 bcrypt rounds; at most ${MAX_KDF_ROUNDS} are accepted, since decrypting blocks for seconds per hundred rounds (re-encrypt it: ssh-keygen -p -a 64 -f KEYFILE)`,
    });
    assert.equal(kdfRounds(ed25519().private), undefined, "an unencrypted key has none");
  });

  it("is read by the CLI only from a regular file of a sane size: a FIFO, a device, a huge file are refused", async () => {
    const dir = scratchDir("key-files-");
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    const big = join(dir, "big");
    writeFileSync(big, Buffer.alloc(100_000, 65));
    for (const [file, message] of [
      [fifo, `-i ${fifo}: not a regular file (a private key is a small file)`],
      ["/dev/zero", "-i /dev/zero: not a regular file (a private key is a small file)"],
      [
        big,
        `-i ${big}: 100,000 bytes is not a private key (a key is a few KB; at most 64 KiB accepted)`,
      ],
    ]) {
      const { code, out } = await sshReady(["127.0.0.1", "-l", "u", "-i", file]);
      assert.equal(code, 2, out);
      assert.equal(out.split("\n")[0], `ssh-ready: ${message}`);
    }
  });

  it("refuses a key with too many rounds from the CLI with exit 2, naming -i", async () => {
    const dir = scratchDir("key-files-");
    const file = join(dir, "slow");
    writeFileSync(file, withRounds(sshKeygen("ed25519", { passphrase: "pass" }).private, 5000));
    const { code, out } = await sshReady(["127.0.0.1", "-l", "u", "-i", file]);
    assert.equal(code, 2, out);
    assert.match(
      out,
      /^ssh-ready: -i \S+ is encrypted with 5000 bcrypt rounds; at most 256 are accepted/,
    );
  });
});

describe("private keys decrypted in a worker thread", () => {
  for (const type of ["ed25519", "ecdsa", "rsa"] as const) {
    it(`gives the ${type} key ssh-keygen encrypted, which signs what its public key verifies`, async () => {
      const pair = sshKeygen(type, { passphrase: `pw-${type}`, rounds: 16 });
      await decryptPrivateKey(pair.private, `pw-${type}`);
      const key = parsePrivateKey(pair.private, `pw-${type}`);
      const pub = utils.parseKey(pair.public);
      assert.ok(!(pub instanceof Error) && !Array.isArray(pub));
      assert.equal(key.type, pub.type);
      assert.ok(key.getPublicSSH().equals(pub.getPublicSSH()), "the same public key");
      const data = Buffer.from(`signed by ${type}`);
      assert.equal(pub.verify(data, key.sign(data)), true, "a signature the public key verifies");
    });
  }

  it("keeps this thread free meanwhile: timers fire during 256 bcrypt rounds", async () => {
    const pair = sshKeygen("ed25519", { passphrase: "slow", rounds: 256 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      await decryptPrivateKey(pair.private, "slow");
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks > 0, "no timer fired while the key was decrypted");
    const key = parsePrivateKey(pair.private, "slow");
    assert.equal(parsePrivateKey(pair.private, "slow"), key, "decrypted once, then kept");
  });

  it("remembers a wrong passphrase, told with the names each caller gives", async () => {
    const pair = sshKeygen("ed25519", { passphrase: "right", rounds: 16 });
    await decryptPrivateKey(pair.private, "wrong", "jumpHost.");
    assert.throws(() => parsePrivateKey(pair.private, "wrong", "jumpHost."), {
      name: "InvalidOptionError",
      option: "jumpHost.passphrase",
      message: "[jumpHost.passphrase] does not decrypt [jumpHost.privateKey] (wrong passphrase?)",
    });
    assert.throws(() => parsePrivateKey(pair.private, "wrong"), {
      option: "passphrase",
      message: "[passphrase] does not decrypt [privateKey] (wrong passphrase?)",
    });
  });

  it("leaves every input error to the parse, and never throws itself", async () => {
    for (const [key, passphrase] of [
      [42, undefined],
      ["", undefined],
      [withRounds(sshKeygen("ed25519", { passphrase: "p" }).private, 5000), "p"],
      [sshKeygen("ed25519", { passphrase: "p" }).private, undefined],
    ]) {
      await decryptPrivateKey(key, passphrase);
      assert.throws(() => parsePrivateKey(key, passphrase), { name: "InvalidOptionError" });
    }
  });
});
