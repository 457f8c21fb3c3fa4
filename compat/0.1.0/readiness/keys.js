"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.MAX_KDF_ROUNDS = exports.MAX_KEY_BYTES = void 0;
exports.kdfRounds = kdfRounds;
exports.isEncryptedPrivateKey = isEncryptedPrivateKey;
exports.parsePrivateKey = parsePrivateKey;
exports.rsaBits = rsaBits;
// Reads the user's private key once, up front, so a bad key is a clear input error before any traffic,
// and the attempts reuse the parsed key instead of the text (and never echo it).
const node_crypto_1 = require("node:crypto");
const ssh2_1 = require("ssh2");
const MIN_RSA_BITS = 2048;
/** A private key is a few KB (RSA 4096 in PEM: about 3.3 KB); more is not a key. */
exports.MAX_KEY_BYTES = 64 * 1024;
/**
 * The most bcrypt rounds an encrypted OpenSSH key may ask for. ssh-keygen's default is 16; ssh2 decrypts in
 * JavaScript, about 4 to 15 ms a round, blocking the process (and Ctrl-C) meanwhile: 256 rounds are seconds.
 */
exports.MAX_KDF_ROUNDS = 256;
const ACCEPTED_TYPES = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521))$/;
/** The header of an OpenSSH-format private key: its cipher, its KDF and the KDF's rounds. */
function openSshKeyHeader(text) {
    const body = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
    if (!body)
        return undefined;
    const blob = Buffer.from(body[1].replace(/\s+/g, ""), "base64");
    const magic = "openssh-key-v1\0";
    if (blob.subarray(0, magic.length).toString("latin1") !== magic)
        return undefined;
    let at = magic.length;
    const field = () => {
        if (at + 4 > blob.length)
            return undefined;
        const length = blob.readUInt32BE(at);
        const value = blob.subarray(at + 4, at + 4 + length);
        at += 4 + length;
        return value;
    };
    const cipher = field()?.toString("latin1");
    if (cipher === undefined)
        return undefined;
    const kdf = field()?.toString("latin1");
    const options = field();
    let rounds;
    if (kdf === "bcrypt" && options && options.length >= 4) {
        const saltLength = options.readUInt32BE(0);
        if (4 + saltLength + 4 <= options.length)
            rounds = options.readUInt32BE(4 + saltLength);
    }
    return { cipher, kdf, rounds };
}
/** The bcrypt rounds of an encrypted OpenSSH-format key, or undefined for other keys. */
function kdfRounds(text) {
    return openSshKeyHeader(text)?.rounds;
}
/** True when the key text is passphrase-protected (PEM or OpenSSH format), read from its structure. */
function isEncryptedPrivateKey(text) {
    if (/^Proc-Type:\s*4,ENCRYPTED/m.test(text) || /BEGIN ENCRYPTED PRIVATE KEY/.test(text)) {
        return true;
    }
    const header = openSshKeyHeader(text);
    return header !== undefined && header.cipher !== "none";
}
/**
 * Parses a private key (OpenSSH or PEM; RSA ≥ 2048 bits, ECDSA or Ed25519), decrypting it with `passphrase`.
 * Errors name the option (`[privateKey]`, `[passphrase]`, with `prefix` for nested options such as
 * `jumpHost.`) and never contain key material.
 */
function parsePrivateKey(key, passphrase, prefix = "") {
    const keyName = `${prefix}privateKey`;
    const passName = `${prefix}passphrase`;
    if (typeof key !== "string" && !Buffer.isBuffer(key)) {
        throw new TypeError(`[${keyName}] must be the private key's text (OpenSSH or PEM format)`);
    }
    if (passphrase !== undefined && typeof passphrase !== "string") {
        throw new TypeError(`[${passName}] must be a string`);
    }
    const size = Buffer.isBuffer(key) ? key.length : Buffer.byteLength(key);
    if (size > exports.MAX_KEY_BYTES) {
        throw new RangeError(`[${keyName}] is ${size.toLocaleString("en-US")} bytes, not a private key (a key is a few KB; at most ${exports.MAX_KEY_BYTES / 1024} KiB accepted)`);
    }
    const text = Buffer.isBuffer(key) ? key.toString("utf8") : key;
    if (text.trim() === "")
        throw new TypeError(`[${keyName}] is empty`);
    const encrypted = isEncryptedPrivateKey(text);
    if (encrypted && !passphrase) {
        throw new TypeError(`[${keyName}] is encrypted: give its passphrase in [${passName}]`);
    }
    const rounds = encrypted ? kdfRounds(text) : undefined;
    if (rounds !== undefined && rounds > exports.MAX_KDF_ROUNDS) {
        throw new RangeError(`[${keyName}] is encrypted with ${rounds} bcrypt rounds; at most ${exports.MAX_KDF_ROUNDS} are accepted, since decrypting blocks for seconds per hundred rounds (re-encrypt it: ssh-keygen -p -a 64 -f KEYFILE)`);
    }
    const parsed = ssh2_1.utils.parseKey(text, encrypted ? passphrase : undefined);
    if (parsed instanceof Error) {
        throw new TypeError(encrypted
            ? `[${passName}] does not decrypt [${keyName}] (wrong passphrase?)`
            : `[${keyName}] is not a private key in OpenSSH or PEM format`);
    }
    const first = Array.isArray(parsed) ? parsed[0] : parsed;
    if (first.getPrivatePEM() === null) {
        throw new TypeError(`[${keyName}] holds a public key; give the private key`);
    }
    if (!ACCEPTED_TYPES.test(first.type)) {
        throw new TypeError(`[${keyName}] is a ${first.type} key; use Ed25519, ECDSA or RSA (≥ 2048 bits)`);
    }
    if (first.type === "ssh-rsa") {
        const bits = rsaBits(first);
        if (bits < MIN_RSA_BITS) {
            throw new RangeError(`[${keyName}] is a ${bits}-bit RSA key; servers refuse RSA keys under ${MIN_RSA_BITS} bits`);
        }
    }
    return first;
}
/** The modulus size of an RSA key, public or private. */
function rsaBits(key) {
    const details = (0, node_crypto_1.createPublicKey)(key.getPublicPEM()).asymmetricKeyDetails;
    return details?.modulusLength ?? 0;
}
