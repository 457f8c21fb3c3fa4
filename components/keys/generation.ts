// SSH key pairs in OpenSSH format, from ssh2: Ed25519, ECDSA P-256 and RSA 3072. ssh2 1.17 writes a malformed
// Ed25519 pair when the public key's first byte is 0 (about 1 in 256: it drops that byte as it would a
// bignum's), so each pair is checked the way OpenSSH reads it and made again when it fails.
import { utils } from "ssh2";
import { fingerprintOf } from "../readiness/host-key";

/** The key types a VM gets as host keys, as cloud-init names them in `ssh_keys` (`<type>_private`). */
export type KeyType = "ed25519" | "ecdsa" | "rsa";

export const KEY_TYPES: readonly KeyType[] = ["ed25519", "ecdsa", "rsa"];

/** ssh2's generator arguments per type: RSA at 3072 bits (OpenSSH's default), ECDSA on P-256. */
const GENERATOR: Record<KeyType, { type: "ed25519" | "ecdsa" | "rsa"; bits?: number }> = {
  ed25519: { type: "ed25519" },
  ecdsa: { type: "ecdsa", bits: 256 },
  rsa: { type: "rsa", bits: 3072 },
};

export interface GeneratedKeyPair {
  publicKey: string;
  privateKey: string;
  fingerprint: string;
}

export function generateKeyPair(type: KeyType, comment = ""): GeneratedKeyPair {
  const { type: algorithm, bits } = GENERATOR[type];
  const options = { ...(bits ? { bits } : {}), ...(comment ? { comment } : {}) };
  for (let tries = 0; tries < 16; tries++) {
    // ssh2's overloads want the literal type; the options are valid for each.
    const pair = utils.generateKeyPairSync(algorithm as "ed25519", options);
    const pub = utils.parseKey(pair.public);
    const priv = utils.parseKey(pair.private);
    if (pub instanceof Error || priv instanceof Error || Array.isArray(pub) || Array.isArray(priv))
      continue;
    if (!pub.getPublicSSH().equals(priv.getPublicSSH())) continue;
    return {
      publicKey: pair.public.trim(),
      privateKey: pair.private,
      fingerprint: fingerprintOf(pub.getPublicSSH()),
    };
  }
  throw new Error(`could not generate a well-formed ${type} key pair`);
}

export function generateEd25519(comment = ""): GeneratedKeyPair {
  return generateKeyPair("ed25519", comment);
}
