"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.HostKeyPin = exports.HOST_KEY_TYPES = void 0;
exports.describeHostKey = describeHostKey;
exports.fingerprintOf = fingerprintOf;
exports.knownHostsLine = knownHostsLine;
exports.algorithmsForKeyType = algorithmsForKeyType;
exports.isValidHost = isValidHost;
exports.hostKeyAlgorithmsFor = hostKeyAlgorithmsFor;
// Host keys as OpenSSH shows them (SHA256 fingerprints, public key lines, known_hosts lines),
// and the pin: the set of keys a server may present before we send it anything secret.
const node_crypto_1 = require("node:crypto");
const node_net_1 = require("node:net");
const ssh2_1 = require("ssh2");
/** Reads the type and fingerprint of a raw SSH public key blob. */
function describeHostKey(blob) {
    const typeLength = blob.readUInt32BE(0);
    const type = blob.subarray(4, 4 + typeLength).toString("latin1");
    return { type, line: `${type} ${blob.toString("base64")}`, fingerprint: fingerprintOf(blob) };
}
/** OpenSSH's SHA256 fingerprint of a raw public key blob. */
function fingerprintOf(blob) {
    return `SHA256:${(0, node_crypto_1.createHash)("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}
/** A known_hosts line for the key: `host type key`, or `[host]:port type key` off port 22. */
function knownHostsLine(host, port, key) {
    const name = port === 22 ? host : `[${host}]:${port}`;
    return `${name} ${key.line}`;
}
/** The host key algorithms that make a server present a key of this type, best first. */
function algorithmsForKeyType(type) {
    return type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type];
}
/** Host key algorithms ssh2 can verify, in its default order of preference. */
exports.HOST_KEY_TYPES = [
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
];
/** Accepted host keys: fingerprints and/or full keys. */
class HostKeyPin {
    constructor(fingerprints, 
    /** Key types of the full keys given; empty when only fingerprints were given. */
    keyTypes, onlyFullKeys, text) {
        this.fingerprints = fingerprints;
        this.keyTypes = keyTypes;
        this.onlyFullKeys = onlyFullKeys;
        this.text = text;
    }
    /**
     * Parses one entry or a list: each a `SHA256:…` fingerprint or an OpenSSH public key line
     * (`ssh-ed25519 AAAA… [comment]`). Throws a TypeError naming `name`.
     */
    static parse(value, name = "hostKey") {
        const entries = Array.isArray(value) ? value : [value];
        if (entries.length === 0)
            throw new TypeError(`[${name}] is an empty list`);
        const fingerprints = new Set();
        const keyTypes = [];
        let onlyFullKeys = true;
        entries.forEach((entry, i) => {
            const label = Array.isArray(value) ? `[${name}] entry ${i + 1}` : `[${name}]`;
            if (typeof entry !== "string" || entry.trim() === "") {
                throw new TypeError(`${label} must be a SHA256: fingerprint or an OpenSSH public key line`);
            }
            const text = entry.trim();
            const fp = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(text);
            if (fp) {
                fingerprints.add(`SHA256:${fp[1]}`);
                onlyFullKeys = false;
                return;
            }
            const parsed = /^[a-z0-9@.-]+ [A-Za-z0-9+/]+=*( .*)?$/.test(text)
                ? ssh2_1.utils.parseKey(text)
                : null;
            if (!parsed || parsed instanceof Error || Array.isArray(parsed)) {
                const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
                throw new TypeError(`${label} is neither a SHA256: fingerprint nor an OpenSSH public key line: "${shown}"`);
            }
            fingerprints.add(fingerprintOf(parsed.getPublicSSH()));
            if (!keyTypes.includes(parsed.type))
                keyTypes.push(parsed.type);
        });
        return new HostKeyPin(fingerprints, keyTypes, onlyFullKeys, entries.map((e) => String(e).trim()));
    }
    matches(key) {
        return this.fingerprints.has(key.fingerprint);
    }
    /** What the pin accepts, for messages: the fingerprints. */
    describe() {
        return [...this.fingerprints].join(", ");
    }
}
exports.HostKeyPin = HostKeyPin;
/** True when `host` is an IP address or a syntactically valid DNS name. */
function isValidHost(host) {
    if ((0, node_net_1.isIP)(host) !== 0)
        return true;
    if (host.length > 253)
        return false;
    return host
        .split(".")
        .every((label) => /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(label));
}
/**
 * The host key algorithms to offer: with full keys pinned, only their types (so the server presents a pinned
 * key if it has one); otherwise ssh2's defaults without `excludedTypes`. Undefined means ssh2's defaults.
 */
function hostKeyAlgorithmsFor(pin, excludedTypes = []) {
    if (pin?.onlyFullKeys)
        return pin.keyTypes.flatMap(algorithmsForKeyType);
    if (excludedTypes.length === 0)
        return undefined;
    return exports.HOST_KEY_TYPES.filter((type) => !excludedTypes.includes(type)).flatMap(algorithmsForKeyType);
}
