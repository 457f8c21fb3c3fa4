// Keys made at test time (nothing secret is committed): user keys in the formats users have, and host keys.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { utils } from "ssh2";

export interface KeyPair {
  private: string;
  public: string;
}

/**
 * An Ed25519 pair from ssh2. ssh2 1.17 writes a malformed key when the public key's first byte is 0 (about 1 in
 * 256: it drops the byte, as for a bignum), so a pair is made again until OpenSSH's format check passes.
 */
export function ed25519(passphrase?: string): KeyPair {
  for (;;) {
    const pair = passphrase
      ? utils.generateKeyPairSync("ed25519", { passphrase, cipher: "aes256-ctr", rounds: 16 })
      : utils.generateKeyPairSync("ed25519");
    if (!(utils.parseKey(pair.public) instanceof Error))
      return { private: pair.private, public: pair.public };
  }
}

export function rsa(bits: number): KeyPair {
  const pair = utils.generateKeyPairSync("rsa", { bits });
  return { private: pair.private, public: pair.public };
}

/** A key made by OpenSSH's own ssh-keygen, in the PEM format (`-m PEM`) when asked. */
export function sshKeygen(
  type: "ed25519" | "rsa" | "ecdsa",
  options: { pem?: boolean; passphrase?: string; rounds?: number } = {},
): KeyPair {
  const dir = mkdtempSync(join(tmpdir(), "ssh-ready-key-"));
  const file = join(dir, "key");
  const args = ["-q", "-t", type, "-N", options.passphrase ?? "", "-C", "test", "-f", file];
  if (options.pem) args.push("-m", "PEM");
  if (options.rounds !== undefined) args.push("-a", String(options.rounds));
  try {
    execFileSync("ssh-keygen", args);
    return {
      private: readFileSync(file, "utf8"),
      public: readFileSync(`${file}.pub`, "utf8").trim(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The fingerprint ssh-keygen prints for a public key line: the reference our own must equal. */
export function sshKeygenFingerprint(publicKeyLine: string): string {
  const dir = mkdtempSync(join(tmpdir(), "ssh-ready-fp-"));
  const file = join(dir, "key.pub");
  try {
    writeFileSync(file, `${publicKeyLine}\n`);
    return execFileSync("ssh-keygen", ["-lf", file], { encoding: "utf8" }).split(" ")[1];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
