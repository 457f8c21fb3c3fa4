// Ed25519 key pairs in OpenSSH format, from ssh2. ssh2 1.17 writes a malformed pair when the public key's
// first byte is 0 (about 1 in 256: it drops that byte as it would a bignum's), so each pair is checked the
// way OpenSSH reads it and made again when it fails.
import { utils } from "ssh2";
import { fingerprintOf } from "../readiness/host-key";

export interface GeneratedKeyPair {
  publicKey: string;
  privateKey: string;
  fingerprint: string;
}

export function generateEd25519(comment = ""): GeneratedKeyPair {
  for (let tries = 0; tries < 16; tries++) {
    const pair = comment
      ? utils.generateKeyPairSync("ed25519", { comment })
      : utils.generateKeyPairSync("ed25519");
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
  throw new Error("could not generate a well-formed Ed25519 key pair");
}
