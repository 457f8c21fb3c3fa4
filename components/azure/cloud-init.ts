// The VM's custom data: the component's cloud-config (the pinned host keys) and the user's own user data,
// merged into one multi-part MIME document as cloud-init reads it, and checked against Azure's size limit.
import { InvalidOptionError } from "../readiness/errors";
import { createHash } from "node:crypto";
import { stringify } from "yaml";
import { CUSTOM_DATA_LIMIT } from "./args";
import { KEY_TYPES, type KeyType } from "../keys/generation";
import { userDataType } from "./user-data";

export interface HostKeyPair {
  /** OpenSSH private key text. */
  privateKey: string;
  /** OpenSSH public key line. */
  publicKey: string;
}

/** The VM's host keys, one of each type a first boot would make. */
export type HostKeys = Record<KeyType, HostKeyPair>;

/**
 * cloud-config that installs the given host keys and deletes the image's, so sshd presents only pinned keys.
 * All three types: the Azure VM agent waits for the RSA key (`Provisioning.SshHostKeyPairType`, default rsa)
 * before it reports the VM provisioned, and clients that want ECDSA find it. With `ssh_keys` given, cloud-init
 * generates no other key (cc_ssh), so no `ssh_genkeytypes` (whose schema refuses an empty list) is needed.
 */
export function hostKeyCloudConfig(keys: HostKeys): string {
  const sshKeys: Record<string, string> = {};
  for (const type of KEY_TYPES) {
    sshKeys[`${type}_private`] = keys[type].privateKey;
    sshKeys[`${type}_public`] = keys[type].publicKey;
  }
  // lineWidth 0: key lines stay whole, so the size depends only on the keys' lengths.
  return `#cloud-config\n${stringify({ ssh_deletekeys: true, ssh_keys: sshKeys }, { lineWidth: 0 })}`;
}

/**
 * Sizes of the longest key ssh2 writes for each type: the body of its private part and of its public key
 * (bignums at full length: an RSA 3072 modulus and private exponent 385 bytes as mpints, primes 193; ECDSA's
 * scalar 33), as in ssh2's keygen.js.
 */
const LONGEST: Record<KeyType, { name: string; privateBody: number; publicBody: number }> = {
  ed25519: {
    name: "ssh-ed25519",
    privateBody: 4 + 11 + 4 + 32 + 4 + 64,
    publicBody: 4 + 11 + 4 + 32,
  },
  ecdsa: {
    name: "ecdsa-sha2-nistp256",
    privateBody: 4 + 19 + 4 + 8 + 4 + 65 + 4 + 33,
    publicBody: 4 + 19 + 4 + 8 + 4 + 65,
  },
  rsa: {
    name: "ssh-rsa",
    privateBody: 4 + 7 + (4 + 385) + (4 + 3) + (4 + 385) + 3 * (4 + 193),
    publicBody: 4 + 7 + (4 + 3) + (4 + 385),
  },
};

/** A stand-in for the longest key pair ssh2 generates of `type` with `comment`: same shape, same length. */
export function longestKeyPair(type: KeyType, comment: string): HostKeyPair {
  const { name, privateBody, publicBody } = LONGEST[type];
  const commentBytes = Buffer.byteLength(comment);
  const unpadded = 8 + privateBody + 4 + commentBytes;
  const padded = Math.ceil(unpadded / 8) * 8;
  // magic, cipher "none", kdf "none", empty kdf options, key count, public key, private part.
  const binary = 15 + (4 + 4) + (4 + 4) + 4 + 4 + (4 + publicBody) + (4 + padded);
  const base64 = "A".repeat(4 * Math.ceil(binary / 3));
  const lines = base64.match(/.{1,64}/g)!.join("\n");
  const base64Public = "A".repeat(4 * Math.ceil(publicBody / 3));
  return {
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines}\n-----END OPENSSH PRIVATE KEY-----\n`,
    publicKey: `${name} ${base64Public}${comment ? ` ${comment}` : ""}`,
  };
}

/**
 * One user-data document from the parts, in order: a single part as is, several as multipart/mixed. The
 * boundary is derived from the content, so the same parts always give the same bytes (custom data cannot
 * change without replacing the VM).
 */
export function mergeUserData(parts: string[]): string {
  if (parts.length === 1) return parts[0];
  const boundary = `==vm-with-ready-ssh-${createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 24)}==`;
  const body = parts.map((part, i) => {
    const type = userDataType(part);
    // A MIME document carries its own headers; other parts get ours.
    const headers =
      type === "multipart"
        ? ""
        : `Content-Type: ${type}; charset="utf-8"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 8bit\n` +
          `Content-Disposition: attachment; filename="part-${i + 1}"\n\n`;
    return `--${boundary}\n${headers}${part.endsWith("\n") ? part : `${part}\n`}`;
  });
  return `Content-Type: multipart/mixed; boundary="${boundary}"\nMIME-Version: 1.0\n\n${body.join("")}--${boundary}--\n`;
}

/**
 * The VM's user data: the user's first, the component's host keys last. cloud-init merges cloud-config parts
 * in order, a later part's keys replacing an earlier one's, so the host keys are the component's even if a
 * part slipped past the checks.
 */
export function vmUserData(
  userData: string | undefined,
  hostKeys: HostKeys | undefined,
): string | undefined {
  const parts = [
    ...(userData === undefined ? [] : [userData]),
    ...(hostKeys ? [hostKeyCloudConfig(hostKeys)] : []),
  ];
  return parts.length === 0 ? undefined : mergeUserData(parts);
}

/**
 * A RangeError naming `name` when user data is over Azure's limit. `longest`: the data holds stand-ins for the
 * longest keys (at preview), so its size is a bound.
 */
export function checkCustomDataSize(userData: string, name = "customData", longest = false): void {
  const size = Buffer.byteLength(userData, "utf8");
  if (size > CUSTOM_DATA_LIMIT) {
    throw new InvalidOptionError(
      name,
      `makes the VM's custom data ${longest ? "up to " : ""}${size.toLocaleString("en-US")} bytes with the component's own cloud-config; Azure allows ${CUSTOM_DATA_LIMIT.toLocaleString("en-US")}`,
    );
  }
}

/** Base64 custom data for Azure; a RangeError naming `name` when the decoded size is over Azure's limit. */
export function encodeCustomData(userData: string, name = "customData"): string {
  checkCustomDataSize(userData, name);
  return Buffer.from(userData, "utf8").toString("base64");
}
