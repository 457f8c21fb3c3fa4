// Checks VmWithReadySsh's arguments before any child exists, so a mistake is named in preview instead of
// surfacing as an Azure error minutes into `pulumi up`. Wrong type → TypeError, out of range → RangeError;
// the message names the argument in brackets. Returns warnings for what is allowed but risky.
import { InvalidOptionError } from "../readiness/errors";
import { isIP } from "node:net";
import { utils } from "ssh2";
import { parsePrivateKey, rsaBits } from "../readiness/keys";
import { parseLimit } from "../readiness/duration";
import { checkHost, checkLevel, checkPort, checkUsername, renamed } from "../readiness/resolve";
import { fingerprintOf, HostKeyPin } from "../readiness/host-key";
import { COMPONENT_READINESS_OPTIONS } from "../readiness/spec";
import {
  DEFAULTS,
  type ImageReference,
  type VmReadinessArgs,
  type VmWithReadySshArgs,
} from "./args";
import { checkCustomDataSize, longestKeyPair, vmUserData, type HostKeys } from "./cloud-init";
import { KEY_TYPES, type KeyType } from "../keys/generation";
import { checkUserData, userDataType } from "./user-data";

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

/** Words people write for "everywhere"; NSG rules take them, and they open SSH to the internet. */
const WORLD_WORDS = ["*", "internet", "any"];
/** The disk types Azure takes for an OS disk (azure-native's StorageAccountTypes, less the data-only ones). */
const OS_DISK_TYPES = [
  "Standard_LRS",
  "StandardSSD_LRS",
  "StandardSSD_ZRS",
  "Premium_LRS",
  "Premium_ZRS",
];
/** Ultra Disk and Premium SSD v2: data disks only (Microsoft Learn, "Azure managed disk types"). */
const DATA_DISK_ONLY = ["UltraSSD_LRS", "PremiumV2_LRS"];

/**
 * Accounts that exist on Debian and Ubuntu images before the first boot (base-passwd and the cloud images'
 * system users). cloud-init does not create an admin user that already exists: it would put the key in
 * /home/NAME/.ssh while the account's home is elsewhere, and the login fails. Ours, not Azure's.
 */
export const SYSTEM_USERNAMES = [
  "daemon",
  "bin",
  "sync",
  "games",
  "man",
  "lp",
  "mail",
  "news",
  "uucp",
  "proxy",
  "www-data",
  "list",
  "irc",
  "gnats",
  "nobody",
  "messagebus",
  "sshd",
  "syslog",
  "uuidd",
  "tcpdump",
  "tss",
  "landscape",
  "pollinate",
  "polkitd",
  "dhcpcd",
  "usbmux",
  "lxd",
  "dnsmasq",
  "chrony",
  "_chrony",
  "ntp",
  "postfix",
  "fwupd-refresh",
  "omi",
  "omsagent",
];

export function checkAdminUsername(name: unknown): string {
  if (typeof name !== "string") throw new InvalidOptionError("adminUsername", "must be a string");
  if (name.length < 1 || name.length > 64) {
    throw new InvalidOptionError("adminUsername", `must be 1 to 64 characters, got ${name.length}`);
  }
  if (RESERVED_USERNAMES.includes(name.toLowerCase())) {
    throw new InvalidOptionError(
      "adminUsername",
      `"${name}" is reserved by Azure; choose another name (e.g. "azureuser")`,
    );
  }
  if (!/^[A-Za-z0-9._][A-Za-z0-9._-]*$/.test(name) || name.endsWith(".") || /^\d+$/.test(name)) {
    throw new InvalidOptionError(
      "adminUsername",
      `"${name}" is not a user name the VM can create: use letters, digits, ".", "_" and "-", not starting with "-", not ending with ".", not all digits`,
    );
  }
  const lower = name.toLowerCase();
  if (SYSTEM_USERNAMES.includes(lower) || lower.startsWith("systemd-") || lower.startsWith("_")) {
    throw new InvalidOptionError(
      "adminUsername",
      `"${name}" is a system account on Linux images; choose another name (e.g. "azureuser")`,
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
  if (typeof name !== "string") throw new InvalidOptionError(argument, `must be a string`);
  if (name.length < 1 || name.length > 63) {
    throw new InvalidOptionError(
      argument,
      `must be 1 to 63 characters (a host name), got ${name.length}`,
    );
  }
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/.test(name)) {
    throw new InvalidOptionError(
      argument,
      `"${name}" is not a host name: use letters, digits and "-", not at the start or the end`,
    );
  }
  if (/^\d+$/.test(name))
    throw new InvalidOptionError(argument, `"${name}" must not be all digits`);
  return name;
}

interface Cidr {
  version: 4 | 6;
  prefix: number;
  /** First and last address as numbers. */
  first: bigint;
  last: bigint;
}

function ipToNumber(address: string, version: 4 | 6): bigint {
  if (version === 4) return address.split(".").reduce((n, octet) => n * 256n + BigInt(octet), 0n);
  // Expand "::" and an embedded IPv4 tail into eight 16-bit groups.
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipToNumber(v4[1], 4);
    text = `${text.slice(0, v4.index)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split("::");
  const left = head ? head.split(":") : [];
  const right = tail === undefined ? [] : tail ? tail.split(":") : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  return groups.reduce((n, group) => n * 65536n + BigInt(parseInt(group, 16)), 0n);
}

function numberToIp(n: bigint, version: 4 | 6): string {
  if (version === 4)
    return [24n, 16n, 8n, 0n].map((shift) => String((n >> shift) & 255n)).join(".");
  const groups = [...Array(8).keys()].map((i) =>
    ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16),
  );
  // The shortest form: the longest run of zero groups becomes "::".
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > best.length) best = { start: i, length: j - i };
  }
  if (best.start < 0) return groups.join(":");
  return `${groups.slice(0, best.start).join(":")}::${groups.slice(best.start + best.length).join(":")}`;
}

/** Parses "a.b.c.d/n", "a.b.c.d", or an IPv6 CIDR. Throws a TypeError naming `argument`. */
export function parseCidr(text: unknown, argument: string): Cidr {
  if (typeof text !== "string")
    throw new InvalidOptionError(argument, `must be a CIDR string like "203.0.113.4/32"`);
  const [address, prefixText, extra] = text.split("/");
  const version = (address.includes("%") ? 0 : isIP(address)) as 0 | 4 | 6;
  if (
    version === 0 ||
    extra !== undefined ||
    (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText))
  ) {
    throw new InvalidOptionError(
      argument,
      `"${text}" is not a CIDR like "203.0.113.4/32" or "10.0.0.0/16"${address.includes("%") ? " (an address with a zone, %…, is local to one machine)" : ""}`,
    );
  }
  const bits = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (prefix > bits)
    throw new InvalidOptionError(argument, `"${text}": the prefix length must be 0 to ${bits}`);
  const size = 1n << BigInt(bits - prefix);
  const start = ipToNumber(address, version);
  if (start % size !== 0n) {
    const aligned = numberToIp(start - (start % size), version);
    throw new InvalidOptionError(
      argument,
      `"${text}" has host bits set: did you mean "${aligned}/${prefix}"?`,
    );
  }
  return { version, prefix, first: start, last: start + size - 1n };
}

/** A CIDR as Azure is sent it: the address in its shortest form, the prefix length always written. */
export function canonicalCidr(text: string, argument: string): string {
  const cidr = parseCidr(text, argument);
  return `${numberToIp(cidr.first, cidr.version)}/${cidr.prefix}`;
}

/**
 * IPv4 ranges a VNet may not use (Azure's VNet FAQ, "What address ranges can I use in my VNets?"): multicast,
 * broadcast, loopback, link-local, and Azure's own DNS and metadata address.
 */
const RESERVED_RANGES: readonly [string, string][] = [
  ["224.0.0.0/4", "multicast"],
  ["255.255.255.255/32", "broadcast"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["168.63.129.16/32", "Azure's DNS and host address"],
];

/** Azure's rules for the component's subnet and VNet, with the rule in each message. */
function checkAzureRanges(space: Cidr[], spaceText: string[], subnet: Cidr, subnetText: string) {
  if (subnet.version === 6) {
    throw new InvalidOptionError(
      "network.subnetAddressPrefix",
      `"${subnetText}" is IPv6: the VM's network interface needs an IPv4 subnet (Azure requires an IPv4 configuration on every network interface, and this component makes one subnet)`,
    );
  }
  // Azure's VNet FAQ: "The smallest supported IPv4 subnet is /29, and the largest is /2."
  if (subnet.prefix > 29 || subnet.prefix < 2) {
    throw new InvalidOptionError(
      "network.subnetAddressPrefix",
      `"${subnetText}" is a /${subnet.prefix}: Azure's IPv4 subnets are /2 to /29 (it reserves five addresses of each)`,
    );
  }
  space.forEach((range, i) => {
    for (const [reservedText, what] of RESERVED_RANGES) {
      const reserved = parseCidr(reservedText, "reserved");
      if (range.version === 4 && range.first <= reserved.last && reserved.first <= range.last) {
        throw new InvalidOptionError(
          "network.vnetAddressSpace",
          `"${spaceText[i]}" overlaps ${reservedText} (${what}), which Azure does not allow in a virtual network`,
        );
      }
    }
  });
}

/** Checks an OpenSSH public key line Azure accepts: ssh-ed25519, or ssh-rsa of at least 2048 bits. */
export function checkPublicKey(line: unknown, argument = "ssh.publicKey"): string {
  if (typeof line !== "string" || line.trim() === "") {
    throw new InvalidOptionError(
      argument,
      `must be an OpenSSH public key line ("ssh-ed25519 AAAA…")`,
    );
  }
  const key = utils.parseKey(line.trim());
  if (key instanceof Error || Array.isArray(key) || key.getPrivatePEM() !== null) {
    throw new InvalidOptionError(
      argument,
      `is not an OpenSSH public key line ("ssh-ed25519 AAAA…" or "ssh-rsa AAAA…")`,
    );
  }
  if (key.type !== "ssh-ed25519" && key.type !== "ssh-rsa") {
    throw new InvalidOptionError(
      argument,
      `is a ${key.type} key; Azure takes ssh-ed25519 or ssh-rsa (≥ 2048 bits)`,
    );
  }
  if (key.type === "ssh-rsa" && rsaBits(key) < 2048) {
    throw new InvalidOptionError(
      argument,
      `is a ${rsaBits(key)}-bit RSA key; Azure requires at least 2048 bits`,
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
      throw new InvalidOptionError(
        "image",
        `"${image}" is not an image URN "Publisher:Offer:Sku:Version"`,
      );
    }
    const [publisher, offer, sku, version] = parts;
    return { publisher, offer, sku, version };
  }
  if (typeof image !== "object" || image === null)
    throw new InvalidOptionError("image", "must be a URN string or an image reference");
  if ("id" in image) return image;
  for (const key of ["publisher", "offer", "sku"] as const) {
    if (typeof image[key] !== "string" || image[key] === "") {
      throw new InvalidOptionError(`image.${key}`, `is required in an image reference`);
    }
  }
  return { version: "latest", ...image };
}

/**
 * The Hyper-V generation a marketplace image's SKU names, or undefined when it does not say: "…gen1" is V1,
 * "…gen2" V2 (Debian's "12-gen2", Ubuntu's "22_04-lts-gen2", "server-gen1"), and Canonical's offers from
 * Ubuntu 24.04 on ("ubuntu-24_04-lts") are V2 unless the SKU says gen1. A managed or gallery image (`id`) does
 * not say either.
 */
export function imageGeneration(image: ImageReference): "V1" | "V2" | undefined {
  if ("id" in image) return undefined;
  const sku = String(image.sku).toLowerCase();
  if (/gen1/.test(sku)) return "V1";
  if (/gen2/.test(sku)) return "V2";
  const ubuntu = /^ubuntu-(\d\d)_04/.exec(String(image.offer).toLowerCase());
  if (String(image.publisher).toLowerCase() === "canonical" && ubuntu && Number(ubuntu[1]) >= 24)
    return "V2";
  return undefined;
}

function describeImage(image: ImageReference): string {
  return "id" in image
    ? String(image.id)
    : `${String(image.publisher)}:${String(image.offer)}:${String(image.sku)}`;
}

/** The comment of a generated host key (its length counts in the custom data). */
export function hostKeyComment(name: string, type: KeyType): string {
  return `${type} host key of ${name}`;
}

/** Checks everything that is known now. Returns warnings (allowed, but worth saying). */
export function validateVmArgs(name: string, args: VmWithReadySshArgs): { warnings: string[] } {
  const warnings: string[] = [];
  if (typeof args !== "object" || args === null)
    throw new TypeError("VmWithReadySsh needs an args object");
  if (args.location === undefined || args.location === "")
    throw new InvalidOptionError("location", 'is required (e.g. "westeurope")');
  checkAdminUsername(args.adminUsername);
  checkComputerName(
    args.computerName ?? tidyComputerName(name),
    args.computerName === undefined ? "name" : "computerName",
  );
  renamed(args, "", "hostKey", "hostKeyTrust");
  const trust = args.hostKeyTrust;
  if (
    trust !== undefined &&
    trust !== "generated" &&
    trust !== "first-seen" &&
    trust !== "console"
  ) {
    throw new InvalidOptionError(
      "hostKeyTrust",
      `must be "generated", "first-seen" or "console", got "${String(trust)}"`,
    );
  }
  const image = parseImage(args.image);
  if (args.securityType !== undefined) {
    if (args.securityType !== "Standard" && args.securityType !== "TrustedLaunch") {
      throw new InvalidOptionError(
        "securityType",
        `must be "Standard" or "TrustedLaunch", got "${String(args.securityType)}"`,
      );
    }
    if (args.securityType === "TrustedLaunch" && imageGeneration(image) === "V1") {
      throw new InvalidOptionError(
        "securityType",
        `"TrustedLaunch" needs a Generation 2 image, and ${describeImage(image)} is Generation 1 (its SKU says so)`,
      );
    }
  }
  if (args.frozen !== undefined && typeof args.frozen !== "boolean")
    throw new InvalidOptionError("frozen", "must be true or false");
  const size = args.osDisk?.sizeGb;
  if (size !== undefined && (!Number.isInteger(size) || size < 30 || size > 4095)) {
    throw new InvalidOptionError(
      "osDisk.sizeGb",
      `must be a whole number of GiB from 30 to 4095, got ${size}`,
    );
  }

  const diskType = args.osDisk?.storageAccountType;
  if (typeof diskType === "string" && !OS_DISK_TYPES.includes(diskType)) {
    throw new InvalidOptionError(
      "osDisk.storageAccountType",
      DATA_DISK_ONLY.includes(diskType)
        ? `"${diskType}" is for data disks only: Azure refuses it for an OS disk (use ${OS_DISK_TYPES.join(", ")})`
        : `must be one of ${OS_DISK_TYPES.join(", ")}, got "${diskType}"`,
    );
  }

  const ssh = args.ssh ?? {};
  if (ssh.publicKey !== undefined && ssh.privateKey === undefined) {
    throw new InvalidOptionError(
      "ssh.privateKey",
      "is required with [ssh.publicKey]: the readiness check logs in with it",
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
          throw new InvalidOptionError(
            "ssh.publicKey",
            "is not the public half of [ssh.privateKey]",
          );
        }
      }
    }
  }

  const net = args.network ?? {};
  const newNetwork = ["vnetAddressSpace", "subnetAddressPrefix", "natGateway"] as const;
  if (net.subnetId !== undefined) {
    const clash = newNetwork.find((key) => net[key] !== undefined);
    if (clash) {
      throw new InvalidOptionError(
        "network.subnetId",
        `puts the VM in an existing subnet: [network.${clash}] cannot be used with it`,
      );
    }
  }
  if (net.publicIp && (!net.allowedSshSourceCidrs || net.allowedSshSourceCidrs.length === 0)) {
    throw new InvalidOptionError(
      "network.allowedSshSourceCidrs",
      'is required when [network.publicIp] is true (e.g. your address: "203.0.113.4/32")',
    );
  }
  if (net.allowedSshSourceCidrs !== undefined && !Array.isArray(net.allowedSshSourceCidrs)) {
    throw new InvalidOptionError("network.allowedSshSourceCidrs", "must be a list of CIDRs");
  }
  (net.allowedSshSourceCidrs ?? []).forEach((cidr, i) => {
    const world = () =>
      `"${cidr}" opens SSH to the whole internet on ${name}; scanners will find it within minutes`;
    if (WORLD_WORDS.includes(String(cidr).toLowerCase())) {
      throw new InvalidOptionError(
        "network.allowedSshSourceCidrs",
        `${world()}. Entry ${i + 1}: write "0.0.0.0/0" if you mean the whole internet, or your address ("203.0.113.4/32")`,
      );
    }
    if (parseCidr(cidr, "network.allowedSshSourceCidrs").prefix === 0)
      warnings.push(`[network.allowedSshSourceCidrs] ${world()}`);
  });
  if (net.subnetId === undefined) {
    const space = (net.vnetAddressSpace ?? DEFAULTS.vnetAddressSpace).map((c) =>
      parseCidr(c, "network.vnetAddressSpace"),
    );
    const subnet = parseCidr(
      net.subnetAddressPrefix ?? DEFAULTS.subnetAddressPrefix,
      "network.subnetAddressPrefix",
    );
    checkAzureRanges(
      space,
      (net.vnetAddressSpace ?? DEFAULTS.vnetAddressSpace).map(String),
      subnet,
      String(net.subnetAddressPrefix ?? DEFAULTS.subnetAddressPrefix),
    );
    const inside = space.some(
      (s) => s.version === subnet.version && s.first <= subnet.first && subnet.last <= s.last,
    );
    if (!inside) {
      throw new InvalidOptionError(
        "network.subnetAddressPrefix",
        `"${net.subnetAddressPrefix ?? DEFAULTS.subnetAddressPrefix}" is not inside [network.vnetAddressSpace]`,
      );
    }
    if (!net.publicIp && net.natGateway === false) {
      warnings.push(
        `${name} has no public IP and no NAT gateway in a private subnet: it cannot reach the internet, so cloud-init's package steps fail or hang`,
      );
    }
  }

  // The custom data is known now but for the host keys, whose longest form is known: check the user's part
  // against the pin, and the size with the longest keys the generator writes.
  if (args.customData !== undefined && typeof args.customData !== "string") {
    throw new InvalidOptionError("customData", "must be the user data's text (not base64)");
  }
  // The component's own keys are in the custom data only when it generates them; the check pins keys but with
  // "first-seen".
  const generated = (args.hostKeyTrust ?? "generated") === "generated";
  const pinned = args.hostKeyTrust !== "first-seen";
  if (args.customData !== undefined) {
    if (generated) warnings.push(...checkUserData(args.customData).warnings);
    else userDataType(args.customData);
  }
  const longest = generated
    ? (Object.fromEntries(
        KEY_TYPES.map((type) => [type, longestKeyPair(type, hostKeyComment(name, type))]),
      ) as HostKeys)
    : undefined;
  const userData = vmUserData(args.customData, longest);
  if (userData !== undefined) checkCustomDataSize(userData, "customData", generated);

  checkReadinessArgs(args, pinned);
  if (typeof args.sshHost === "string") checkHost(args.sshHost, "sshHost");
  if (
    args.vmSize !== undefined &&
    (typeof args.vmSize === "string" ? args.vmSize.trim() === "" : false)
  )
    throw new InvalidOptionError("vmSize", 'must be an Azure VM size such as "Standard_D2s_v5"');
  return { warnings };
}

/** A time limit in the component's terms: a number is seconds; more than zero, at most 7 days. */
function checkSeconds(value: unknown, name: string): void {
  if (typeof value !== "string" && typeof value !== "number") return; // an Output: checked by SshReadiness
  parseLimit(value, name);
}

function checkReadinessArgs(args: VmWithReadySshArgs, pinned: boolean): void {
  const readiness = args.readiness ?? {};
  const level = checkLevel(readiness.level ?? DEFAULTS.readinessLevel, "readiness.level");
  if (pinned && (level === "tcp" || level === "banner")) {
    throw new InvalidOptionError(
      "readiness.level",
      `"${level}" does not log in, so the VM's pinned host keys are never checked: use level "auth" or "command", or hostKeyTrust: "first-seen"`,
    );
  }
  if (readiness.command !== undefined) {
    if (typeof readiness.command === "string" && readiness.command.trim() === "")
      throw new InvalidOptionError("readiness.command", "must be a non-empty shell command");
    if (level !== "command")
      throw new InvalidOptionError(
        "readiness.command",
        `needs readiness level "command", not "${level}"`,
      );
  }
  for (const spec of COMPONENT_READINESS_OPTIONS.filter((s) => s.type === "duration")) {
    checkSeconds(readiness[spec.name as keyof VmReadinessArgs], `readiness.${spec.name}`);
  }
  const given: unknown = readiness.jumpHost;
  if (typeof given === "object" && given !== null && !isOutputLike(given)) {
    const jump = given as Record<string, unknown>;
    const known = (value: unknown) => typeof value === "string" || typeof value === "number";
    if (known(jump.host)) checkHost(jump.host, "readiness.jumpHost.host");
    if (known(jump.port)) checkPort(jump.port, "readiness.jumpHost.port");
    if (known(jump.username)) checkUsername(jump.username, "readiness.jumpHost.username");
    if (typeof jump.privateKey === "string" && !isOutputLike(jump.passphrase))
      parsePrivateKey(
        jump.privateKey,
        jump.passphrase as string | undefined,
        "readiness.jumpHost.",
      );
    renamed(jump, "readiness.jumpHost.", "hostKey", "hostKeyPin");
    const pin = jump.hostKeyPin;
    if (
      typeof pin === "string" ||
      (Array.isArray(pin) && pin.every((k: unknown) => typeof k === "string"))
    )
      HostKeyPin.parse(pin, "readiness.jumpHost.hostKeyPin");
  } else if (given !== undefined && (typeof given !== "object" || given === null)) {
    throw new InvalidOptionError(
      "readiness.jumpHost",
      "must be an object with host, username and a key",
    );
  }
}

/** An Output or a promise: a value known only later. */
function isOutputLike(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    (typeof (value as { apply?: unknown }).apply === "function" ||
      typeof (value as { then?: unknown }).then === "function")
  );
}
