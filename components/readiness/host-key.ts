// Host keys as OpenSSH shows them (SHA256 fingerprints, public key lines, known_hosts lines),
// and the pin: the set of keys a server may present before we send it anything secret.
import { InvalidOptionError } from "./errors";
import { createHash } from "node:crypto";
import { isIP } from "node:net";
import { utils } from "ssh2";

/** A server host key as presented during key exchange. */
export interface HostKeyInfo {
  /** Key type, e.g. `ssh-ed25519`. */
  type: string;
  /** The OpenSSH public key line: `ssh-ed25519 AAAA…`. */
  line: string;
  /** `SHA256:…`, the same text `ssh-keygen -lf` prints. */
  fingerprint: string;
}

/** Reads the type and fingerprint of a raw SSH public key blob. */
export function describeHostKey(blob: Buffer): HostKeyInfo {
  const typeLength = blob.readUInt32BE(0);
  const type = blob.subarray(4, 4 + typeLength).toString("latin1");
  return { type, line: `${type} ${blob.toString("base64")}`, fingerprint: fingerprintOf(blob) };
}

/** OpenSSH's SHA256 fingerprint of a raw public key blob. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** A known_hosts line for the key: `host type key`, or `[host]:port type key` off port 22. */
/** HOST:PORT as ssh writes it: an IPv6 address in brackets (`[::1]:22`), so the port cannot be misread. */
export function endpoint(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

export function knownHostsLine(host: string, port: number, key: HostKeyInfo): string {
  const name = port === 22 ? host : `[${host}]:${port}`;
  return `${name} ${key.line}`;
}

/** The host key algorithms that make a server present a key of this type, best first. */
export function algorithmsForKeyType(type: string): string[] {
  return type === "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type];
}

/** Host key algorithms ssh2 can verify, in its default order of preference. */
export const HOST_KEY_TYPES = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "ssh-rsa",
];

/** Accepted host keys: fingerprints and/or full keys. */
export class HostKeyPin {
  private constructor(
    /** Each accepted fingerprint, with the key type when a full key was given. */
    private readonly fingerprints: ReadonlyMap<string, string | undefined>,
    /** Key types of the full keys given; empty when only fingerprints were given. */
    readonly keyTypes: readonly string[],
    readonly onlyFullKeys: boolean,
    readonly text: readonly string[],
  ) {}

  /**
   * Parses one entry or a list: each a `SHA256:…` fingerprint or an OpenSSH public key line
   * (`ssh-ed25519 AAAA… [comment]`). Throws a TypeError naming `name`.
   */
  static parse(value: unknown, name = "hostKeyPin"): HostKeyPin {
    const entries = Array.isArray(value) ? value : [value];
    if (entries.length === 0) throw new InvalidOptionError(name, "is an empty list");
    const fingerprints = new Map<string, string | undefined>();
    const keyTypes: string[] = [];
    let onlyFullKeys = true;
    entries.forEach((entry, i) => {
      const which = Array.isArray(value) ? `entry ${i + 1} ` : "";
      if (typeof entry !== "string" || entry.trim() === "") {
        throw new InvalidOptionError(
          name,
          `${which}must be a SHA256: fingerprint or an OpenSSH public key line`,
        );
      }
      const text = entry.trim();
      const fp = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(text);
      if (fp) {
        if (!fingerprints.has(`SHA256:${fp[1]}`)) fingerprints.set(`SHA256:${fp[1]}`, undefined);
        onlyFullKeys = false;
        return;
      }
      const parsed = /^[a-z0-9@.-]+ [A-Za-z0-9+/]+=*( .*)?$/.test(text)
        ? utils.parseKey(text)
        : null;
      if (!parsed || parsed instanceof Error || Array.isArray(parsed)) {
        const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
        throw new InvalidOptionError(
          name,
          `${which}is neither a SHA256: fingerprint nor an OpenSSH public key line: "${shown}"`,
        );
      }
      fingerprints.set(fingerprintOf(parsed.getPublicSSH()), parsed.type);
      if (!keyTypes.includes(parsed.type)) keyTypes.push(parsed.type);
    });
    return new HostKeyPin(
      fingerprints,
      keyTypes,
      onlyFullKeys,
      entries.map((e) => String(e).trim()),
    );
  }

  matches(key: HostKeyInfo): boolean {
    return this.fingerprints.has(key.fingerprint);
  }

  /** What the pin accepts, for messages: each key's type and fingerprint, or a fingerprint alone (any type). */
  describe(): string {
    return [...this.fingerprints]
      .map(([fingerprint, type]) => (type ? `${type} ${fingerprint}` : fingerprint))
      .join(", ");
  }
}

/** True when `host` is an IP address or a syntactically valid DNS name. */
export function isValidHost(host: string): boolean {
  if (isIP(host) !== 0) return true;
  if (host.length > 253) return false;
  return host
    .split(".")
    .every((label) => /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(label));
}

/**
 * The host key algorithms to offer: with full keys pinned, only their types (so the server presents a pinned
 * key if it has one); otherwise ssh2's defaults without `excludedTypes`. Undefined means ssh2's defaults.
 */
export function hostKeyAlgorithmsFor(
  pin: HostKeyPin | undefined,
  excludedTypes: readonly string[] = [],
): string[] | undefined {
  if (pin?.onlyFullKeys) return pin.keyTypes.flatMap(algorithmsForKeyType);
  if (excludedTypes.length === 0) return undefined;
  return HOST_KEY_TYPES.filter((type) => !excludedTypes.includes(type)).flatMap(
    algorithmsForKeyType,
  );
}
