// Reads the user's private key once, up front, so a bad key is a clear input error before any traffic,
// and the attempts reuse the parsed key instead of the text (and never echo it).
import { InvalidOptionError } from "./errors";
import { createHash, createPublicKey } from "node:crypto";
import { inspect } from "node:util";
import { utils, type ParsedKey } from "ssh2";
import { fingerprintOf } from "./host-key";

const MIN_RSA_BITS = 2048;
/** A private key is a few KB (RSA 4096 in PEM: about 3.3 KB); more is not a key. */
export const MAX_KEY_BYTES = 64 * 1024;
/**
 * The most bcrypt rounds an encrypted OpenSSH key may ask for. ssh-keygen's default is 16; ssh2 decrypts in
 * JavaScript, about 4 to 15 ms a round, blocking the process (and Ctrl-C) meanwhile: 256 rounds are seconds.
 */
export const MAX_KDF_ROUNDS = 256;

const ACCEPTED_TYPES = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521))$/;

/** The header of an OpenSSH-format private key: its cipher, its KDF and the KDF's rounds. */
function openSshKeyHeader(
  text: string,
): { cipher: string; kdf?: string; rounds?: number } | undefined {
  const body =
    /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!body) return undefined;
  const blob = Buffer.from(body[1].replace(/\s+/g, ""), "base64");
  const magic = "openssh-key-v1\0";
  if (blob.subarray(0, magic.length).toString("latin1") !== magic) return undefined;
  let at = magic.length;
  const field = () => {
    if (at + 4 > blob.length) return undefined;
    const length = blob.readUInt32BE(at);
    const value = blob.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    return value;
  };
  const cipher = field()?.toString("latin1");
  if (cipher === undefined) return undefined;
  const kdf = field()?.toString("latin1");
  const options = field();
  let rounds: number | undefined;
  if (kdf === "bcrypt" && options && options.length >= 4) {
    const saltLength = options.readUInt32BE(0);
    if (4 + saltLength + 4 <= options.length) rounds = options.readUInt32BE(4 + saltLength);
  }
  return { cipher, kdf, rounds };
}

/** The bcrypt rounds of an encrypted OpenSSH-format key, or undefined for other keys. */
export function kdfRounds(text: string): number | undefined {
  return openSshKeyHeader(text)?.rounds;
}

/** True when the key text is passphrase-protected (PEM or OpenSSH format), read from its structure. */
export function isEncryptedPrivateKey(text: string): boolean {
  if (/^Proc-Type:\s*4,ENCRYPTED/m.test(text) || /BEGIN ENCRYPTED PRIVATE KEY/.test(text)) {
    return true;
  }
  const header = openSshKeyHeader(text);
  return header !== undefined && header.cipher !== "none";
}

/** How many parsed keys a process keeps (see parsedKeys). */
const PARSED_KEYS_KEPT = 8;

/**
 * Parses a private key (OpenSSH or PEM; RSA ≥ 2048 bits, ECDSA or Ed25519), decrypting it with `passphrase`.
 * Errors name the option (`[privateKey]`, `[passphrase]`, with `prefix` for nested options such as
 * `jumpHost.`) and never contain key material.
 */
export function parsePrivateKey(key: unknown, passphrase: unknown, prefix = ""): ParsedKey {
  const keyName = `${prefix}privateKey`;
  const passName = `${prefix}passphrase`;
  if (typeof key !== "string" && !Buffer.isBuffer(key)) {
    throw new InvalidOptionError(keyName, `must be the private key's text (OpenSSH or PEM format)`);
  }
  if (passphrase !== undefined && typeof passphrase !== "string") {
    throw new InvalidOptionError(passName, `must be a string`);
  }
  const size = Buffer.isBuffer(key) ? key.length : Buffer.byteLength(key);
  if (size > MAX_KEY_BYTES) {
    throw new InvalidOptionError(
      keyName,
      `is ${size.toLocaleString("en-US")} bytes, not a private key (a key is a few KB; at most ${MAX_KEY_BYTES / 1024} KiB accepted)`,
    );
  }
  const text = Buffer.isBuffer(key) ? key.toString("utf8") : key;
  if (text.trim() === "") throw new InvalidOptionError(keyName, `is empty`);
  const encrypted = isEncryptedPrivateKey(text);
  if (encrypted && !passphrase) {
    throw new InvalidOptionError(keyName, `is encrypted: give its passphrase in [${passName}]`);
  }
  const cache = parsedKeys();
  const id = createHash("sha256")
    .update(text)
    .update("\0")
    .update(encrypted ? String(passphrase) : "")
    .digest("hex");
  const known = cache.get(id);
  if (known) return known;
  const rounds = encrypted ? kdfRounds(text) : undefined;
  if (rounds !== undefined && rounds > MAX_KDF_ROUNDS) {
    throw new InvalidOptionError(
      keyName,
      `is encrypted with ${rounds} bcrypt rounds; at most ${MAX_KDF_ROUNDS} are accepted, since decrypting blocks for seconds per hundred rounds (re-encrypt it: ssh-keygen -p -a 64 -f KEYFILE)`,
    );
  }
  const parsed = utils.parseKey(text, encrypted ? passphrase : undefined);
  if (parsed instanceof Error) {
    throw encrypted
      ? new InvalidOptionError(passName, `does not decrypt [${keyName}] (wrong passphrase?)`)
      : new InvalidOptionError(keyName, "is not a private key in OpenSSH or PEM format");
  }
  const first = Array.isArray(parsed) ? parsed[0] : parsed;
  if (first.getPrivatePEM() === null) {
    throw new InvalidOptionError(keyName, `holds a public key; give the private key`);
  }
  if (!ACCEPTED_TYPES.test(first.type)) {
    throw new InvalidOptionError(
      keyName,
      `is a ${first.type} key; use Ed25519, ECDSA or RSA (≥ 2048 bits)`,
    );
  }
  if (first.type === "ssh-rsa") {
    const bits = rsaBits(first);
    if (bits < MIN_RSA_BITS) {
      throw new InvalidOptionError(
        keyName,
        `is a ${bits}-bit RSA key; servers refuse RSA keys under ${MIN_RSA_BITS} bits`,
      );
    }
  }
  cache.set(id, unprintable(first));
  // A few keys at most are in use at once (the target's, a jump host's); the oldest goes first.
  if (cache.size > PARSED_KEYS_KEPT) cache.delete(cache.keys().next().value!);
  return first;
}

/**
 * The keys this process has parsed, by a hash of their text and passphrase: decrypting an encrypted key costs
 * its bcrypt rounds (seconds at 256), and one operation checks a key on several paths (SshReadiness's check,
 * the engine's options, a jump host sharing it). Each is decrypted once. Kept on `globalThis`, not in a module
 * variable, so that Pulumi's serialized provider code captures no state.
 */
function parsedKeys(): Map<string, ParsedKey> {
  const slot = Symbol.for("vm-with-ready-ssh.parsedKeys");
  const holder = globalThis as unknown as Record<symbol, Map<string, ParsedKey> | undefined>;
  return (holder[slot] ??= new Map());
}

/**
 * A parsed key keeps its private half in symbol-keyed fields that `console.log` and `util.inspect` print.
 * Printed or serialized, this key shows only its type and the public key's fingerprint.
 */
function unprintable(key: ParsedKey): ParsedKey {
  const label = `[private ${key.type} key ${fingerprintOf(key.getPublicSSH())}]`;
  for (const name of [inspect.custom, "toJSON"]) {
    Object.defineProperty(key, name, { value: () => label, enumerable: false });
  }
  return key;
}

/** The modulus size of an RSA key, public or private. */
export function rsaBits(key: ParsedKey): number {
  const details = createPublicKey(key.getPublicPEM()).asymmetricKeyDetails;
  return details?.modulusLength ?? 0;
}
