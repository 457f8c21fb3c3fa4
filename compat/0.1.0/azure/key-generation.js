"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.KEY_TYPES = void 0;
exports.generateKeyPair = generateKeyPair;
exports.generateEd25519 = generateEd25519;
// SSH key pairs in OpenSSH format, from ssh2: Ed25519, ECDSA P-256 and RSA 3072. ssh2 1.17 writes a malformed
// Ed25519 pair when the public key's first byte is 0 (about 1 in 256: it drops that byte as it would a
// bignum's), so each pair is checked the way OpenSSH reads it and made again when it fails.
const ssh2_1 = require("ssh2");
const host_key_1 = require("../readiness/host-key");
exports.KEY_TYPES = ["ed25519", "ecdsa", "rsa"];
/** ssh2's generator arguments per type: RSA at 3072 bits (OpenSSH's default), ECDSA on P-256. */
const GENERATOR = {
    ed25519: { type: "ed25519" },
    ecdsa: { type: "ecdsa", bits: 256 },
    rsa: { type: "rsa", bits: 3072 },
};
function generateKeyPair(type, comment = "") {
    const { type: algorithm, bits } = GENERATOR[type];
    const options = { ...(bits ? { bits } : {}), ...(comment ? { comment } : {}) };
    for (let tries = 0; tries < 16; tries++) {
        // ssh2's overloads want the literal type; the options are valid for each.
        const pair = ssh2_1.utils.generateKeyPairSync(algorithm, options);
        const pub = ssh2_1.utils.parseKey(pair.public);
        const priv = ssh2_1.utils.parseKey(pair.private);
        if (pub instanceof Error || priv instanceof Error || Array.isArray(pub) || Array.isArray(priv))
            continue;
        if (!pub.getPublicSSH().equals(priv.getPublicSSH()))
            continue;
        return {
            publicKey: pair.public.trim(),
            privateKey: pair.private,
            fingerprint: (0, host_key_1.fingerprintOf)(pub.getPublicSSH()),
        };
    }
    throw new Error(`could not generate a well-formed ${type} key pair`);
}
function generateEd25519(comment = "") {
    return generateKeyPair("ed25519", comment);
}
