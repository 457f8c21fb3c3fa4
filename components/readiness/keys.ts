// Reads the user's private key once, up front, so a bad key is a clear input error before any traffic,
// and the attempts reuse the parsed key instead of the text (and never echo it).
import { InvalidOptionError } from "./errors";
import { createHash, createPrivateKey, createPublicKey, randomBytes } from "node:crypto";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { inspect } from "node:util";
import { utils, type ParsedKey } from "ssh2";
import { fingerprintOf } from "./host-key";

const MIN_RSA_BITS = 2048;
/** A private key is a few KB (RSA 4096 in PEM: about 3.3 KB); more is not a key. */
export const MAX_KEY_BYTES = 64 * 1024;
/**
 * The most bcrypt rounds an encrypted OpenSSH key may ask for. ssh-keygen's default is 16; ssh2 decrypts in
 * JavaScript, about 4 to 15 ms a round: 256 rounds are seconds of a worker thread (decryptPrivateKey), or of
 * this one when no worker can start.
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

/** The decryption worker (key-decryption-worker.ts), beside this file in the build. */
const DECRYPTION_WORKER = join(__dirname, "key-decryption-worker.js");

/** A private key input that passed every check made before decryption. */
interface KeyInput {
  text: string;
  encrypted: boolean;
  passphrase: string | undefined;
  /** The cache's key: a hash of the text and, for an encrypted key, the passphrase. */
  id: string;
  keyName: string;
  passName: string;
}

/** The checks of a private key input that need no decryption. */
function keyInput(key: unknown, passphrase: unknown, prefix: string): KeyInput {
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
  const rounds = encrypted ? kdfRounds(text) : undefined;
  if (rounds !== undefined && rounds > MAX_KDF_ROUNDS) {
    throw new InvalidOptionError(
      keyName,
      `is encrypted with ${rounds} bcrypt rounds; at most ${MAX_KDF_ROUNDS} are accepted, since decrypting blocks for seconds per hundred rounds (re-encrypt it: ssh-keygen -p -a 64 -f KEYFILE)`,
    );
  }
  const id = createHash("sha256")
    .update(text)
    .update("\0")
    .update(encrypted ? String(passphrase) : "")
    .digest("hex");
  return {
    text,
    encrypted,
    passphrase: encrypted ? passphrase : undefined,
    id,
    keyName,
    passName,
  };
}

/**
 * Parses a private key (OpenSSH or PEM; RSA ≥ 2048 bits, ECDSA or Ed25519), decrypting it with `passphrase`.
 * Errors name the option (`[privateKey]`, `[passphrase]`, with `prefix` for nested options such as
 * `jumpHost.`) and never contain key material. A key `decryptPrivateKey` prepared is not decrypted again.
 */
export function parsePrivateKey(key: unknown, passphrase: unknown, prefix = ""): ParsedKey {
  const input = keyInput(key, passphrase, prefix);
  const known = parsedKeys().get(input.id);
  if (typeof known === "function") throw known(input.keyName, input.passName);
  if (known) return known;
  return remember(input, utils.parseKey(input.text, input.passphrase));
}

/**
 * Decrypts an encrypted OpenSSH-format key in a worker thread, so that its bcrypt rounds (seconds at 256) do
 * not stop this thread: a Pulumi provider keeps answering the engine, a program its other work. The result,
 * or the reason the key is refused, is kept for `parsePrivateKey`, which the caller runs next as before and
 * which reports every error. Other keys (unencrypted, or PEM with its fast cipher) are left to it; so is any
 * key when no worker can start.
 */
export async function decryptPrivateKey(
  key: unknown,
  passphrase: unknown,
  prefix = "",
): Promise<void> {
  let input: KeyInput;
  try {
    input = keyInput(key, passphrase, prefix);
  } catch {
    return; // parsePrivateKey reports it, with nothing to decrypt
  }
  if (!input.encrypted || kdfRounds(input.text) === undefined || parsedKeys().has(input.id)) return;
  let answer: DecryptedKey;
  try {
    answer = await decryptInWorker(input.text, input.passphrase!);
  } catch {
    return; // no worker: parsePrivateKey decrypts it on this thread
  }
  if (parsedKeys().has(input.id)) return;
  try {
    remember(input, "failed" in answer ? new Error("not decrypted") : plainKey(answer));
  } catch {
    // Refused, and remembered so: parsePrivateKey says why without decrypting again.
  }
}

type DecryptedKey = { type: string; pem: string } | { failed: true };

function decryptInWorker(text: string, passphrase: string): Promise<DecryptedKey> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(DECRYPTION_WORKER, { workerData: { text, passphrase } });
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the key decryption worker exited (${code})`)));
  });
}

/**
 * The decrypted key as ssh2 parses it. ssh2 writes an RSA or ECDSA key's private half as a PEM it reads back;
 * an Ed25519 key's as PKCS #8, which it does not read, so that one is written as an unencrypted OpenSSH key.
 */
function plainKey(decrypted: { type: string; pem: string }): ParsedKey | ParsedKey[] | Error {
  if (decrypted.type !== "ssh-ed25519") return utils.parseKey(decrypted.pem);
  const jwk = createPrivateKey(decrypted.pem).export({ format: "jwk" });
  const seed = Buffer.from(jwk.d!, "base64url");
  const pub = Buffer.from(jwk.x!, "base64url");
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const str = (value: string | Buffer) => {
    const b = Buffer.from(value);
    return Buffer.concat([u32(b.length), b]);
  };
  const publicBlob = Buffer.concat([str("ssh-ed25519"), str(pub)]);
  const check = randomBytes(4);
  const fields = [check, check, publicBlob, str(Buffer.concat([seed, pub])), str("")];
  const padding = [1, 2, 3, 4, 5, 6, 7].slice(0, (8 - (Buffer.concat(fields).length % 8)) % 8);
  const blob = Buffer.concat([
    Buffer.from("openssh-key-v1\0", "latin1"),
    str("none"),
    str("none"),
    str(""),
    u32(1),
    str(publicBlob),
    str(Buffer.concat([...fields, Buffer.from(padding)])),
  ]);
  const lines = blob
    .toString("base64")
    .match(/.{1,70}/g)!
    .join("\n");
  return utils.parseKey(
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines}\n-----END OPENSSH PRIVATE KEY-----\n`,
  );
}

/** Why a key is refused, told with the names the caller gave its key and passphrase. */
type Refusal = (keyName: string, passName: string) => InvalidOptionError;

/**
 * Checks a parsed key and keeps it, or the reason it is refused, for the next parse of the same input (which
 * may name it otherwise: `privateKey`, `ssh.privateKey`). Returns the key; throws the refusal.
 */
function remember(input: KeyInput, parsed: ParsedKey | ParsedKey[] | Error): ParsedKey {
  const verdict = judged(parsed, input.encrypted);
  const cache = parsedKeys();
  cache.set(input.id, typeof verdict === "function" ? verdict : unprintable(verdict));
  // A few keys at most are in use at once (the target's, a jump host's); the oldest goes first.
  if (cache.size > PARSED_KEYS_KEPT) cache.delete(cache.keys().next().value!);
  if (typeof verdict === "function") throw verdict(input.keyName, input.passName);
  return verdict;
}

/** The key, if it is one this package accepts; otherwise why not. */
function judged(parsed: ParsedKey | ParsedKey[] | Error, encrypted: boolean): ParsedKey | Refusal {
  if (parsed instanceof Error) {
    return encrypted
      ? (keyName, passName) =>
          new InvalidOptionError(passName, `does not decrypt [${keyName}] (wrong passphrase?)`)
      : (keyName) =>
          new InvalidOptionError(keyName, "is not a private key in OpenSSH or PEM format");
  }
  const first = Array.isArray(parsed) ? parsed[0] : parsed;
  if (first.getPrivatePEM() === null) {
    return (keyName) => new InvalidOptionError(keyName, `holds a public key; give the private key`);
  }
  if (!ACCEPTED_TYPES.test(first.type)) {
    return (keyName) =>
      new InvalidOptionError(
        keyName,
        `is a ${first.type} key; use Ed25519, ECDSA or RSA (≥ 2048 bits)`,
      );
  }
  const bits = first.type === "ssh-rsa" ? rsaBits(first) : undefined;
  if (bits !== undefined && bits < MIN_RSA_BITS) {
    return (keyName) =>
      new InvalidOptionError(
        keyName,
        `is a ${bits}-bit RSA key; servers refuse RSA keys under ${MIN_RSA_BITS} bits`,
      );
  }
  return first;
}

/**
 * The keys this process has parsed, by a hash of their text and passphrase, and the reasons for those it
 * refused: decrypting an encrypted key costs its bcrypt rounds (seconds at 256), and one operation checks a
 * key on several paths (SshReadiness's check, the engine's options, a jump host sharing it). Each is decrypted
 * once. Kept on `globalThis`, not in a module variable, so that Pulumi's serialized provider code captures no
 * state.
 */
function parsedKeys(): Map<string, ParsedKey | Refusal> {
  const slot = Symbol.for("vm-with-ready-ssh.parsedKeys");
  const holder = globalThis as unknown as Record<
    symbol,
    Map<string, ParsedKey | Refusal> | undefined
  >;
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
