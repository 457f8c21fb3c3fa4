// Checks VmWithReadySsh's arguments before any child exists, so a mistake is named in preview instead of
// surfacing as an Azure error minutes into `pulumi up`. Wrong type → TypeError, out of range → RangeError;
// the message names the argument in brackets. Returns warnings for what is allowed but risky.
import { isIP } from "node:net";
import { utils } from "ssh2";
import { parseDuration } from "../readiness/duration";
import { fingerprintOf } from "../readiness/host-key";
import { parsePrivateKey, rsaBits } from "../readiness/keys";
import { LEVELS } from "../readiness/options";
import { DEFAULTS, type ImageReference, type VmWithReadySshArgs } from "./args";
import { encodeCustomData, hostKeyCloudConfig, mergeUserData, userDataType } from "./cloud-init";
import { generateEd25519 } from "./key-generation";

/** Names Azure refuses as adminUsername (OSProfile documentation). */
export const RESERVED_USERNAMES = [
  "administrator",
  "admin",
  "user",
  "user1",
  "test",
  "user2",
  "test1",
  "user3",
  "admin1",
  "1",
  "123",
  "a",
  "actuser",
  "adm",
  "admin2",
  "aspnet",
  "backup",
  "console",
  "david",
  "guest",
  "john",
  "owner",
  "root",
  "server",
  "sql",
  "support",
  "support_388945a0",
  "sys",
  "test2",
  "test3",
  "user4",
  "user5",
];

const WORLD = ["0.0.0.0/0", "::/0", "*", "internet", "any"];

export function checkAdminUsername(name: unknown): string {
  if (typeof name !== "string") throw new TypeError("[adminUsername] must be a string");
  if (name.length < 1 || name.length > 64) {
    throw new RangeError(`[adminUsername] must be 1 to 64 characters, got ${name.length}`);
  }
  if (RESERVED_USERNAMES.includes(name.toLowerCase())) {
    throw new RangeError(
      `[adminUsername] "${name}" is reserved by Azure; choose another name (e.g. "azureuser")`,
    );
  }
  if (!/^[A-Za-z0-9._][A-Za-z0-9._-]*$/.test(name)) {
    throw new TypeError(
      `[adminUsername] "${name}" is not a user name the VM can create: use letters, digits, ".", "_" and "-", not starting with "-"`,
    );
  }
  return name;
}

/** A host name from any text: lower case, [a-z0-9-], at most 63 characters. */
export function tidyComputerName(name: string): string {
  const tidy = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return /^\d*$/.test(tidy) ? `vm-${tidy}`.slice(0, 63).replace(/-+$/, "") : tidy;
}

export function checkComputerName(name: unknown, argument = "computerName"): string {
  if (typeof name !== "string") throw new TypeError(`[${argument}] must be a string`);
  if (name.length < 1 || name.length > 63) {
    throw new RangeError(
      `[${argument}] must be 1 to 63 characters (a host name), got ${name.length}`,
    );
  }
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/.test(name)) {
    throw new TypeError(
      `[${argument}] "${name}" is not a host name: use letters, digits and "-", not at the start or the end`,
    );
  }
  if (/^\d+$/.test(name)) throw new TypeError(`[${argument}] "${name}" must not be all digits`);
  return name;
}

interface Cidr {
  version: 4 | 6;
  /** IPv4 only: first and last address as numbers. */
  first?: number;
  last?: number;
}

function ipv4ToNumber(address: string): number {
  return address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

/** Parses "a.b.c.d/n", "a.b.c.d", or an IPv6 CIDR. Throws a TypeError naming `argument`. */
export function parseCidr(text: unknown, argument: string): Cidr {
  if (typeof text !== "string")
    throw new TypeError(`[${argument}] must be a CIDR string like "203.0.113.4/32"`);
  const [address, prefixText, extra] = text.split("/");
  const version = isIP(address);
  if (
    version === 0 ||
    extra !== undefined ||
    (prefixText !== undefined && !/^\d+$/.test(prefixText))
  ) {
    throw new TypeError(
      `[${argument}] "${text}" is not a CIDR like "203.0.113.4/32" or "10.0.0.0/16"`,
    );
  }
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max)
    throw new RangeError(`[${argument}] "${text}": the prefix length must be 0 to ${max}`);
  if (version === 6) return { version: 6 };
  const size = 2 ** (32 - prefix);
  const start = ipv4ToNumber(address);
  if (start % size !== 0) {
    const first = start - (start % size);
    const aligned = [24, 16, 8, 0].map((shift) => Math.floor(first / 2 ** shift) % 256).join(".");
    throw new TypeError(
      `[${argument}] "${text}" has host bits set: did you mean "${aligned}/${prefix}"?`,
    );
  }
  return { version: 4, first: start, last: start + size - 1 };
}

/** Checks an OpenSSH public key line Azure accepts: ssh-ed25519, or ssh-rsa of at least 2048 bits. */
export function checkPublicKey(line: unknown, argument = "ssh.publicKey"): string {
  if (typeof line !== "string" || line.trim() === "") {
    throw new TypeError(`[${argument}] must be an OpenSSH public key line ("ssh-ed25519 AAAA…")`);
  }
  const key = utils.parseKey(line.trim());
  if (key instanceof Error || Array.isArray(key) || key.getPrivatePEM() !== null) {
    throw new TypeError(
      `[${argument}] is not an OpenSSH public key line ("ssh-ed25519 AAAA…" or "ssh-rsa AAAA…")`,
    );
  }
  if (key.type !== "ssh-ed25519" && key.type !== "ssh-rsa") {
    throw new TypeError(
      `[${argument}] is a ${key.type} key; Azure takes ssh-ed25519 or ssh-rsa (≥ 2048 bits)`,
    );
  }
  if (key.type === "ssh-rsa" && rsaBits(key) < 2048) {
    throw new RangeError(
      `[${argument}] is a ${rsaBits(key)}-bit RSA key; Azure requires at least 2048 bits`,
    );
  }
  return line.trim();
}

/** The public key line of a private key (OpenSSH format, no comment). */
export function publicKeyOf(privateKey: string, passphrase?: string): string {
  const key = parsePrivateKey(privateKey, passphrase, "ssh.");
  return `${key.type} ${key.getPublicSSH().toString("base64")}`;
}

export function parseImage(image: string | ImageReference | undefined): ImageReference {
  if (image === undefined) return parseImage(DEFAULTS.image);
  if (typeof image === "string") {
    const parts = image.split(":");
    if (parts.length !== 4 || parts.some((p) => p.trim() === "")) {
      throw new TypeError(`[image] "${image}" is not an image URN "Publisher:Offer:Sku:Version"`);
    }
    const [publisher, offer, sku, version] = parts;
    return { publisher, offer, sku, version };
  }
  if (typeof image !== "object" || image === null)
    throw new TypeError("[image] must be a URN string or an image reference");
  if ("id" in image) return image;
  for (const key of ["publisher", "offer", "sku"] as const) {
    if (typeof image[key] !== "string" || image[key] === "") {
      throw new TypeError(`[image.${key}] is required in an image reference`);
    }
  }
  return { version: "latest", ...image };
}

/** The comment of the generated host key (its length counts in the custom data). */
export function hostKeyComment(name: string): string {
  return `host key of ${name}`;
}

/** Checks everything that is known now. Returns warnings (allowed, but worth saying). */
export function validateVmArgs(name: string, args: VmWithReadySshArgs): { warnings: string[] } {
  const warnings: string[] = [];
  if (typeof args !== "object" || args === null)
    throw new TypeError("VmWithReadySsh needs an args object");
  if (args.location === undefined || args.location === "")
    throw new TypeError('[location] is required (e.g. "westeurope")');
  checkAdminUsername(args.adminUsername);
  checkComputerName(
    args.computerName ?? tidyComputerName(name),
    args.computerName === undefined ? "name" : "computerName",
  );
  if (args.hostKey !== undefined && args.hostKey !== "generated" && args.hostKey !== "first-seen") {
    throw new TypeError(
      `[hostKey] must be "generated" or "first-seen", got "${String(args.hostKey)}"`,
    );
  }
  parseImage(args.image);
  const size = args.osDisk?.sizeGb;
  if (size !== undefined && (!Number.isInteger(size) || size < 30 || size > 4095)) {
    throw new RangeError(
      `[osDisk.sizeGb] must be a whole number of GiB from 30 to 4095, got ${size}`,
    );
  }

  const ssh = args.ssh ?? {};
  if (ssh.publicKey !== undefined && ssh.privateKey === undefined) {
    throw new TypeError(
      "[ssh.privateKey] is required with [ssh.publicKey]: the readiness check logs in with it",
    );
  }
  if (typeof ssh.publicKey === "string") checkPublicKey(ssh.publicKey);
  if (
    typeof ssh.privateKey === "string" &&
    (ssh.passphrase === undefined || typeof ssh.passphrase === "string")
  ) {
    const derived = publicKeyOf(ssh.privateKey, ssh.passphrase);
    checkPublicKey(derived, "ssh.privateKey");
    if (typeof ssh.publicKey === "string") {
      const given = utils.parseKey(ssh.publicKey.trim());
      const mine = utils.parseKey(derived);
      if (
        !(given instanceof Error) &&
        !(mine instanceof Error) &&
        !Array.isArray(given) &&
        !Array.isArray(mine)
      ) {
        if (fingerprintOf(given.getPublicSSH()) !== fingerprintOf(mine.getPublicSSH())) {
          throw new TypeError("[ssh.publicKey] is not the public half of [ssh.privateKey]");
        }
      }
    }
  }

  const net = args.network ?? {};
  const newNetwork = ["vnetAddressSpace", "subnetAddressPrefix", "natGateway"] as const;
  if (net.subnetId !== undefined) {
    const clash = newNetwork.find((key) => net[key] !== undefined);
    if (clash) {
      throw new TypeError(
        `[network.subnetId] puts the VM in an existing subnet: [network.${clash}] cannot be used with it`,
      );
    }
  }
  if (net.publicIp && (!net.allowedSshSourceCidrs || net.allowedSshSourceCidrs.length === 0)) {
    throw new TypeError(
      '[network.allowedSshSourceCidrs] is required when [network.publicIp] is true (e.g. your address: "203.0.113.4/32")',
    );
  }
  if (net.allowedSshSourceCidrs !== undefined && !Array.isArray(net.allowedSshSourceCidrs)) {
    throw new TypeError("[network.allowedSshSourceCidrs] must be a list of CIDRs");
  }
  (net.allowedSshSourceCidrs ?? []).forEach((cidr, i) => {
    if (WORLD.includes(String(cidr).toLowerCase())) {
      warnings.push(
        `[network.allowedSshSourceCidrs] "${cidr}" opens SSH to the whole internet on ${name}; scanners will find it within minutes`,
      );
      if (cidr === "0.0.0.0/0" || cidr === "::/0") return;
      throw new TypeError(
        `[network.allowedSshSourceCidrs] entry ${i + 1}: write "0.0.0.0/0" to mean the whole internet`,
      );
    }
    parseCidr(cidr, `network.allowedSshSourceCidrs`);
  });
  if (net.subnetId === undefined) {
    const space = (net.vnetAddressSpace ?? DEFAULTS.vnetAddressSpace).map((c) =>
      parseCidr(c, "network.vnetAddressSpace"),
    );
    const subnet = parseCidr(
      net.subnetAddressPrefix ?? DEFAULTS.subnetAddressPrefix,
      "network.subnetAddressPrefix",
    );
    const inside = space.some(
      (s) =>
        s.version === subnet.version &&
        (s.version === 6 || (s.first! <= subnet.first! && subnet.last! <= s.last!)),
    );
    if (!inside) {
      throw new RangeError(
        `[network.subnetAddressPrefix] "${net.subnetAddressPrefix ?? DEFAULTS.subnetAddressPrefix}" is not inside [network.vnetAddressSpace]`,
      );
    }
    if (!net.publicIp && net.natGateway === false) {
      warnings.push(
        `${name} has no public IP and no NAT gateway in a private subnet: it cannot reach the internet, so cloud-init's package steps fail or hang`,
      );
    }
  }

  // The custom data's size is known now: an Ed25519 host key has the same length whichever key it is.
  if (args.customData !== undefined && typeof args.customData !== "string") {
    throw new TypeError("[customData] must be the user data's text (not base64)");
  }
  const userParts = args.customData === undefined ? [] : [args.customData];
  userParts.forEach((part) => userDataType(part));
  const ownParts =
    args.hostKey === "first-seen"
      ? []
      : [hostKeyCloudConfig(generateEd25519(hostKeyComment(name)))];
  if (ownParts.length + userParts.length > 0)
    encodeCustomData(mergeUserData([...ownParts, ...userParts]));

  const readiness = args.readiness ?? {};
  if (readiness.level !== undefined && !LEVELS.includes(readiness.level)) {
    throw new TypeError(
      `[readiness.level] must be one of ${LEVELS.join(", ")}, got "${String(readiness.level)}"`,
    );
  }
  for (const key of ["timeout", "attemptTimeout"] as const) {
    const value = readiness[key];
    if (typeof value === "string" || typeof value === "number")
      parseDuration(value, `readiness.${key}`, "s");
  }
  return { warnings };
}
