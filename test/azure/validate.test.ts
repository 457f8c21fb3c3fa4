// Every argument mistake VmWithReadySsh catches before Azure sees anything, with its exact message.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { VmWithReadySshArgs } from "../../components/azure/args";
import {
  imageGeneration,
  parseImage,
  RESERVED_USERNAMES,
  tidyComputerName,
  validateVmArgs,
} from "../../components/azure/validate";
import { ed25519, rsa, sshKeygen } from "../support/keys";

const base: VmWithReadySshArgs = { location: "westeurope", adminUsername: "azureuser" };

function rejects(
  change: Partial<VmWithReadySshArgs>,
  name: string,
  message: string | RegExp,
  vmName = "builder",
): void {
  assert.throws(() => validateVmArgs(vmName, { ...base, ...change }), { name, message });
}

describe("validateVmArgs", () => {
  it("accepts the minimal arguments without warnings", () => {
    assert.deepEqual(validateVmArgs("builder", base), { warnings: [] });
  });

  it("requires a location", () => {
    rejects({ location: "" }, "InvalidOptionError", '[location] is required (e.g. "westeurope")');
  });

  it("refuses every user name Azure reserves, whatever the case", () => {
    for (const reserved of [...RESERVED_USERNAMES, "Admin", "ROOT"]) {
      rejects(
        { adminUsername: reserved },
        "InvalidOptionError",
        `[adminUsername] "${reserved}" is reserved by Azure; choose another name (e.g. "azureuser")`,
      );
    }
  });

  it("refuses user names of the wrong length or with characters useradd refuses", () => {
    rejects(
      { adminUsername: "" },
      "InvalidOptionError",
      "[adminUsername] must be 1 to 64 characters, got 0",
    );
    rejects(
      { adminUsername: "u".repeat(65) },
      "InvalidOptionError",
      "[adminUsername] must be 1 to 64 characters, got 65",
    );
    for (const bad of ["-dash", "has space", "a/b", "café", ".", "..", "ops.", "1000"]) {
      rejects(
        { adminUsername: bad },
        "InvalidOptionError",
        `[adminUsername] "${bad}" is not a user name the VM can create: use letters, digits, ".", "_" and "-", not starting with "-", not ending with ".", not all digits`,
      );
    }
  });

  it("refuses the system accounts Linux images already have (the key would go to the wrong home)", () => {
    for (const system of [
      "bin",
      "daemon",
      "sshd",
      "www-data",
      "Nobody",
      "systemd-network",
      "_apt",
    ]) {
      rejects(
        { adminUsername: system },
        "InvalidOptionError",
        `[adminUsername] "${system}" is a system account on Linux images; choose another name (e.g. "azureuser")`,
      );
    }
    for (const fine of ["azureuser", "ops.admin", "deploy_1", "a1", "Platform-Team"]) {
      assert.doesNotThrow(() => validateVmArgs("builder", { ...base, adminUsername: fine }), fine);
    }
  });

  it("checks the computer name as a host name, and tidies one made from the resource name", () => {
    rejects(
      { computerName: "bad_name" },
      "InvalidOptionError",
      '[computerName] "bad_name" is not a host name: use letters, digits and "-", not at the start or the end',
    );
    rejects(
      { computerName: "x".repeat(64) },
      "InvalidOptionError",
      "[computerName] must be 1 to 63 characters (a host name), got 64",
    );
    rejects(
      { computerName: "12345" },
      "InvalidOptionError",
      '[computerName] "12345" must not be all digits',
    );
    assert.equal(tidyComputerName("Image_Builder.01"), "image-builder-01");
    assert.equal(tidyComputerName("2024"), "vm-2024");
    assert.equal(tidyComputerName("a".repeat(80)).length, 63);
  });

  it("requires sources for a public IP and checks every CIDR", () => {
    rejects(
      { network: { publicIp: true } },
      "InvalidOptionError",
      '[network.allowedSshSourceCidrs] is required when [network.publicIp] is true (e.g. your address: "203.0.113.4/32")',
    );
    rejects(
      { network: { publicIp: true, allowedSshSourceCidrs: ["203.0.113.4/33"] } },
      "InvalidOptionError",
      '[network.allowedSshSourceCidrs] "203.0.113.4/33": the prefix length must be 0 to 32',
    );
    rejects(
      { network: { publicIp: true, allowedSshSourceCidrs: ["my-laptop"] } },
      "InvalidOptionError",
      '[network.allowedSshSourceCidrs] "my-laptop" is not a CIDR like "203.0.113.4/32" or "10.0.0.0/16"',
    );
    rejects(
      { network: { publicIp: true, allowedSshSourceCidrs: ["203.0.113.4/24"] } },
      "InvalidOptionError",
      '[network.allowedSshSourceCidrs] "203.0.113.4/24" has host bits set: did you mean "203.0.113.0/24"?',
    );
    assert.deepEqual(
      validateVmArgs("b", {
        ...base,
        network: { publicIp: true, allowedSshSourceCidrs: ["203.0.113.4", "2001:db8::/32"] },
      }).warnings,
      [],
    );
  });

  it("allows the whole internet only when written as a CIDR, and warns however it is spelled", () => {
    for (const world of ["0.0.0.0/0", "0.0.0.0/00", "::/0", "::0/0", "0:0::0/0"]) {
      const { warnings } = validateVmArgs("builder", {
        ...base,
        network: { publicIp: true, allowedSshSourceCidrs: ["203.0.113.4/32", world] },
      });
      assert.deepEqual(
        warnings,
        [
          `[network.allowedSshSourceCidrs] "${world}" opens SSH to the whole internet on builder; scanners will find it within minutes`,
        ],
        world,
      );
    }
    assert.throws(
      () =>
        validateVmArgs("builder", {
          ...base,
          network: { publicIp: true, allowedSshSourceCidrs: ["*"] },
        }),
      {
        message:
          '[network.allowedSshSourceCidrs] "*" opens SSH to the whole internet on builder; scanners will find it within minutes. Entry 1: write "0.0.0.0/0" if you mean the whole internet, or your address ("203.0.113.4/32")',
      },
    );
  });

  it("refuses CIDRs with host bits, zones or bad prefixes, IPv4 and IPv6 alike", () => {
    const cidrs = (allowedSshSourceCidrs: string[]) => ({
      network: { publicIp: true, allowedSshSourceCidrs },
    });
    rejects(
      cidrs(["203.0.113.4/24"]),
      "InvalidOptionError",
      '[network.allowedSshSourceCidrs] "203.0.113.4/24" has host bits set: did you mean "203.0.113.0/24"?',
    );
    rejects(
      cidrs(["2001:db8::1/64"]),
      "InvalidOptionError",
      '[network.allowedSshSourceCidrs] "2001:db8::1/64" has host bits set: did you mean "2001:db8::/64"?',
    );
    rejects(
      cidrs(["fe80::1%eth0/64"]),
      "InvalidOptionError",
      '[network.allowedSshSourceCidrs] "fe80::1%eth0/64" is not a CIDR like "203.0.113.4/32" or "10.0.0.0/16" (an address with a zone, %…, is local to one machine)',
    );
    rejects(
      cidrs(["2001:db8::/129"]),
      "InvalidOptionError",
      '[network.allowedSshSourceCidrs] "2001:db8::/129": the prefix length must be 0 to 128',
    );
    assert.doesNotThrow(() =>
      validateVmArgs("b", { ...base, ...cidrs(["2001:db8:1::/48", "::ffff:203.0.113.4/128"]) }),
    );
  });

  it("refuses an existing subnet together with options for a new network", () => {
    rejects(
      { network: { subnetId: "/subscriptions/x/subnets/y", vnetAddressSpace: ["10.1.0.0/16"] } },
      "InvalidOptionError",
      "[network.subnetId] puts the VM in an existing subnet: [network.vnetAddressSpace] cannot be used with it",
    );
    rejects(
      { network: { subnetId: "/subscriptions/x/subnets/y", natGateway: true } },
      "InvalidOptionError",
      "[network.subnetId] puts the VM in an existing subnet: [network.natGateway] cannot be used with it",
    );
  });

  it("keeps the new subnet inside the VNet", () => {
    rejects(
      { network: { vnetAddressSpace: ["10.1.0.0/16"] } },
      "InvalidOptionError",
      '[network.subnetAddressPrefix] "10.0.0.0/24" is not inside [network.vnetAddressSpace]',
    );
    assert.doesNotThrow(() =>
      validateVmArgs("b", {
        ...base,
        network: { vnetAddressSpace: ["10.1.0.0/16"], subnetAddressPrefix: "10.1.2.0/24" },
      }),
    );
  });

  it("refuses the subnets Azure refuses: IPv6 (the NIC needs IPv4), IPv4 smaller than /29 or larger than /2", () => {
    const network = (subnetAddressPrefix: string) => ({
      network: { vnetAddressSpace: ["10.1.0.0/16", "fd00:db8:1::/48"], subnetAddressPrefix },
    });
    rejects(
      network("fd00:db8:1:2::/64"),
      "InvalidOptionError",
      '[network.subnetAddressPrefix] "fd00:db8:1:2::/64" is IPv6: the VM\'s network interface needs an IPv4 subnet (Azure requires an IPv4 configuration on every network interface, and this component makes one subnet)',
    );
    rejects(
      network("10.1.2.0/30"),
      "InvalidOptionError",
      '[network.subnetAddressPrefix] "10.1.2.0/30" is a /30: Azure\'s IPv4 subnets are /2 to /29 (it reserves five addresses of each)',
    );
    assert.doesNotThrow(() => validateVmArgs("b", { ...base, ...network("10.1.2.0/29") }));
    rejects(
      { network: { vnetAddressSpace: ["0.0.0.0/1"], subnetAddressPrefix: "0.0.0.0/1" } },
      "InvalidOptionError",
      '[network.subnetAddressPrefix] "0.0.0.0/1" is a /1: Azure\'s IPv4 subnets are /2 to /29 (it reserves five addresses of each)',
    );
  });

  it("refuses a VNet range Azure reserves, naming the range", () => {
    for (const [space, reserved] of [
      ["169.254.0.0/16", "169.254.0.0/16 (link-local)"],
      ["127.0.0.0/16", "127.0.0.0/8 (loopback)"],
      ["168.63.0.0/16", "168.63.129.16/32 (Azure's DNS and host address)"],
      ["224.0.0.0/8", "224.0.0.0/4 (multicast)"],
    ]) {
      const subnet = space.replace(/\/\d+$/, "/24");
      rejects(
        { network: { vnetAddressSpace: ["10.0.0.0/16", space], subnetAddressPrefix: subnet } },
        "InvalidOptionError",
        `[network.vnetAddressSpace] "${space}" overlaps ${reserved}, which Azure does not allow in a virtual network`,
      );
    }
  });

  it("warns about a private VM that can reach nothing", () => {
    assert.deepEqual(
      validateVmArgs("builder", { ...base, network: { natGateway: false } }).warnings,
      [
        "builder has no public IP and no NAT gateway in a private subnet: it cannot reach the internet, so cloud-init's package steps fail or hang",
      ],
    );
  });

  it("refuses malformed or weak public keys, and a pair that does not match", () => {
    const key = ed25519();
    rejects(
      { ssh: { publicKey: "ssh-ed25519 nope", privateKey: key.private } },
      "InvalidOptionError",
      '[ssh.publicKey] is not an OpenSSH public key line ("ssh-ed25519 AAAA…" or "ssh-rsa AAAA…")',
    );
    const weak = rsa(1024);
    rejects(
      { ssh: { publicKey: weak.public, privateKey: weak.private } },
      "InvalidOptionError",
      "[ssh.publicKey] is a 1024-bit RSA key; Azure requires at least 2048 bits",
    );
    const ecdsa = sshKeygen("ecdsa");
    rejects(
      { ssh: { publicKey: ecdsa.public, privateKey: ecdsa.private } },
      "InvalidOptionError",
      "[ssh.publicKey] is a ecdsa-sha2-nistp256 key; Azure takes ssh-ed25519 or ssh-rsa (≥ 2048 bits)",
    );
    rejects(
      { ssh: { publicKey: ed25519().public, privateKey: key.private } },
      "InvalidOptionError",
      "[ssh.publicKey] is not the public half of [ssh.privateKey]",
    );
    rejects(
      { ssh: { publicKey: key.public } },
      "InvalidOptionError",
      "[ssh.privateKey] is required with [ssh.publicKey]: the readiness check logs in with it",
    );
    rejects(
      { ssh: { privateKey: "not a key" } },
      "InvalidOptionError",
      "[ssh.privateKey] is not a private key in OpenSSH or PEM format",
    );
  });

  it("checks the image URN and reference", () => {
    rejects(
      { image: "Canonical:ubuntu" },
      "InvalidOptionError",
      '[image] "Canonical:ubuntu" is not an image URN "Publisher:Offer:Sku:Version"',
    );
    rejects(
      { image: { publisher: "Canonical", offer: "", sku: "server" } },
      "InvalidOptionError",
      "[image.offer] is required in an image reference",
    );
  });

  it("checks the OS disk size", () => {
    rejects(
      { osDisk: { sizeGb: 10 } },
      "InvalidOptionError",
      "[osDisk.sizeGb] must be a whole number of GiB from 30 to 4095, got 10",
    );
  });

  it("takes the security type Azure knows, Trusted Launch only on a Generation 2 image", () => {
    rejects(
      { securityType: "trusted" as never },
      "InvalidOptionError",
      '[securityType] must be "Standard" or "TrustedLaunch", got "trusted"',
    );
    rejects(
      { securityType: "TrustedLaunch", image: "Canonical:ubuntu-24_04-lts:server-gen1:latest" },
      "InvalidOptionError",
      '[securityType] "TrustedLaunch" needs a Generation 2 image, and Canonical:ubuntu-24_04-lts:server-gen1 is Generation 1 (its SKU says so)',
    );
    assert.doesNotThrow(() => validateVmArgs("b", { ...base, securityType: "TrustedLaunch" }));
  });

  it("reads an image's generation from its SKU, or says it cannot", () => {
    const generation = (urn: string) => imageGeneration(parseImage(urn));
    assert.equal(generation("Canonical:ubuntu-24_04-lts:server:latest"), "V2");
    assert.equal(generation("Canonical:ubuntu-24_04-lts:server-gen1:latest"), "V1");
    assert.equal(generation("Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest"), "V2");
    assert.equal(generation("Canonical:0001-com-ubuntu-server-jammy:22_04-lts:latest"), undefined);
    assert.equal(generation("Debian:debian-12:12-gen2:latest"), "V2");
    assert.equal(generation("Debian:debian-12:12:latest"), undefined);
    assert.equal(imageGeneration({ id: "/subscriptions/s/images/i" }), undefined);
  });

  it("takes only the disk types Azure takes for an OS disk", () => {
    rejects(
      { osDisk: { storageAccountType: "UltraSSD_LRS" } },
      "InvalidOptionError",
      '[osDisk.storageAccountType] "UltraSSD_LRS" is for data disks only: Azure refuses it for an OS disk (use Standard_LRS, StandardSSD_LRS, StandardSSD_ZRS, Premium_LRS, Premium_ZRS)',
    );
    rejects(
      { osDisk: { storageAccountType: "SSD" } },
      "InvalidOptionError",
      '[osDisk.storageAccountType] must be one of Standard_LRS, StandardSSD_LRS, StandardSSD_ZRS, Premium_LRS, Premium_ZRS, got "SSD"',
    );
    assert.doesNotThrow(() =>
      validateVmArgs("b", { ...base, osDisk: { storageAccountType: "Premium_ZRS" } }),
    );
  });

  it("refuses user data cloud-init would not run, and custom data over Azure's 65,535 bytes", () => {
    rejects(
      { customData: "apt-get install nginx" },
      "InvalidOptionError",
      '[customData] is not user data cloud-init runs: start it with "#cloud-config", "#!" (a script), "#cloud-boothook", "#include", or give a MIME multi-part document',
    );
    assert.throws(
      () =>
        validateVmArgs("builder", { ...base, customData: `#!/bin/sh\n# ${"x".repeat(61_000)}\n` }),
      {
        name: "InvalidOptionError",
        // A bound: the host keys' longest form (RSA bignums at full length), a few bytes over a real one.
        message:
          "[customData] makes the VM's custom data up to 66,391 bytes with the component's own cloud-config; Azure allows 65,535",
      },
    );
    // The same script fits without the component's host key part.
    assert.doesNotThrow(() =>
      validateVmArgs("builder", {
        ...base,
        hostKeyTrust: "first-seen",
        customData: `#!/bin/sh\n# ${"x".repeat(61_000)}\n`,
      }),
    );
  });

  it("checks the readiness options", () => {
    rejects(
      { readiness: { level: "ping" as never } },
      "InvalidOptionError",
      '[readiness.level] must be one of tcp, banner, auth, command, got "ping"',
    );
    rejects(
      { readiness: { timeout: "soon" } },
      "InvalidOptionError",
      '[readiness.timeout] is not a duration: "soon" (write e.g. "90s", "10m", "1m30s", "2d" or a number of seconds)',
    );
    rejects(
      { hostKey: "first-seen" } as never,
      "InvalidOptionError",
      "[hostKey] is now [hostKeyTrust] (renamed in 0.2.0)",
    );
    rejects(
      { hostKeyTrust: "trust-me" as never },
      "InvalidOptionError",
      '[hostKeyTrust] must be "generated", "first-seen" or "console", got "trust-me"',
    );
  });

  it("refuses readiness values SshReadiness would refuse later, naming the component's argument", () => {
    const cases: [Partial<VmWithReadySshArgs>, string, string][] = [
      [
        { readiness: { timeout: 0 } },
        "InvalidOptionError",
        "[readiness.timeout] must be longer than zero",
      ],
      [
        { readiness: { attemptTimeout: "0s" } },
        "InvalidOptionError",
        "[readiness.attemptTimeout] must be longer than zero",
      ],
      [
        { readiness: { commandTimeout: -1 } },
        "InvalidOptionError",
        "[readiness.commandTimeout] must not be negative, got -1",
      ],
      [
        { readiness: { command: "  " } },
        "InvalidOptionError",
        "[readiness.command] must be a non-empty shell command",
      ],
      [
        { readiness: { level: "auth", command: "true" } },
        "InvalidOptionError",
        '[readiness.command] needs readiness level "command", not "auth"',
      ],
      [
        { readiness: { level: "banner" } },
        "InvalidOptionError",
        '[readiness.level] "banner" does not log in, so the VM\'s pinned host keys are never checked: use level "auth" or "command", or hostKeyTrust: "first-seen"',
      ],
      [
        { readiness: { jumpHost: { host: "bad host", username: "ops" } } },
        "InvalidOptionError",
        '[readiness.jumpHost.host] is not a valid host name or IP address: "bad host"',
      ],
      [
        { readiness: { jumpHost: { host: "bastion", username: "ops", port: 0 } } },
        "InvalidOptionError",
        "[readiness.jumpHost.port] must be from 1 to 65535, got 0",
      ],
      [
        { readiness: { jumpHost: { host: "bastion", username: "ops", hostKeyPin: "nope" } } },
        "InvalidOptionError",
        '[readiness.jumpHost.hostKeyPin] is neither a SHA256: fingerprint nor an OpenSSH public key line: "nope"',
      ],
      [
        { sshHost: "bad host" },
        "InvalidOptionError",
        '[sshHost] is not a valid host name or IP address: "bad host"',
      ],
      [
        { vmSize: " " },
        "InvalidOptionError",
        '[vmSize] must be an Azure VM size such as "Standard_D2s_v5"',
      ],
    ];
    for (const [change, name, message] of cases) rejects(change, name, message);
    // Level banner is fine when nothing is pinned.
    assert.doesNotThrow(() =>
      validateVmArgs("b", { ...base, hostKeyTrust: "first-seen", readiness: { level: "banner" } }),
    );
    // The console's keys are a pin too: checked only by a login.
    assert.throws(
      () =>
        validateVmArgs("b", { ...base, hostKeyTrust: "console", readiness: { level: "banner" } }),
      /\[readiness\.level\] "banner" does not log in, so the VM's pinned host keys are never checked/,
    );
  });
});

describe("validateVmArgs on the user's cloud-init user data", () => {
  const keyLines = "ssh_keys:\n  ed25519_private: x\n  ed25519_public: y\n";
  const refusal = (where: string, key: string) =>
    `[${where}] sets ${key}: the component installs the VM's host keys and pins them, so user data must not set ssh_keys (it would replace the component's host keys) or ssh_deletekeys: false (it would keep the image's keys). Remove it, or set hostKeyTrust: "first-seen" to manage host keys yourself`;

  it("refuses ssh_keys and ssh_deletekeys: false in a cloud-config (YAML 1.1: no is false)", () => {
    rejects(
      { customData: `#cloud-config\n${keyLines}` },
      "InvalidOptionError",
      refusal("customData", "ssh_keys"),
    );
    for (const no of ["false", "no", "off", "False"]) {
      rejects(
        { customData: `#cloud-config\nssh_deletekeys: ${no}\n` },
        "InvalidOptionError",
        refusal("customData", "ssh_deletekeys: false"),
      );
    }
    assert.doesNotThrow(() =>
      validateVmArgs("b", { ...base, customData: "#cloud-config\nssh_deletekeys: true\n" }),
    );
  });

  it("finds them in MIME parts, base64 parts, archives and JSON patches, naming the part", () => {
    const b64 = Buffer.from(`#cloud-config\n${keyLines}`).toString("base64");
    const mime = [
      'Content-Type: multipart/mixed; boundary="XYZ"',
      "MIME-Version: 1.0",
      "",
      "--XYZ",
      "Content-Type: text/x-shellscript",
      "",
      "#!/bin/sh",
      "true",
      "--XYZ",
      "Content-Type: text/plain",
      "Content-Transfer-Encoding: base64",
      "",
      b64,
      "--XYZ--",
      "",
    ].join("\n");
    rejects({ customData: mime }, "InvalidOptionError", refusal("customData part 2", "ssh_keys"));
    const archive = `#cloud-config-archive\n- type: text/x-shellscript\n  content: "#!/bin/sh"\n- content: |\n    #cloud-config\n    ssh_deletekeys: off\n`;
    rejects(
      { customData: archive },
      "InvalidOptionError",
      refusal("customData, archive entry 2", "ssh_deletekeys: false"),
    );
    rejects(
      {
        customData:
          '#cloud-config-jsonp\n[{"op": "add", "path": "/ssh_keys/rsa_private", "value": "x"}]',
      },
      "InvalidOptionError",
      refusal("customData", "ssh_keys"),
    );
    rejects(
      { customData: `## template: jinja\n#cloud-config\n${keyLines}` },
      "InvalidOptionError",
      refusal("customData", "ssh_keys"),
    );
  });

  it("lets first-seen trust set its own host keys", () => {
    assert.doesNotThrow(() =>
      validateVmArgs("b", {
        ...base,
        hostKeyTrust: "first-seen",
        customData: `#cloud-config\n${keyLines}`,
      }),
    );
  });

  it("refuses a cloud-config cloud-init would skip as broken or empty", () => {
    rejects(
      { customData: "#cloud-config\npackages: [jq\n" },
      "InvalidOptionError",
      /^\[customData\] is a cloud-config that is not valid YAML \(.+\); cloud-init would skip it and report an error$/,
    );
    rejects(
      { customData: "#cloud-config\n" },
      "InvalidOptionError",
      '[customData] is a cloud-config without settings (cloud-init needs a YAML mapping after "#cloud-config" and reports an empty one as an error)',
    );
  });

  it("warns about parts it cannot see into, or that touch the host keys", () => {
    assert.deepEqual(
      validateVmArgs("b", { ...base, customData: "#include\nhttps://example.invalid/cfg\n" })
        .warnings,
      [
        "[customData] includes user data from URLs, which cannot be checked before boot: if it sets ssh_keys or ssh_deletekeys: false, the VM's host keys will not match the pin",
      ],
    );
    assert.deepEqual(
      validateVmArgs("b", {
        ...base,
        customData: "#!/bin/sh\nrm /etc/ssh/ssh_host_*\nssh-keygen -A\n",
      }).warnings,
      [
        "[customData] touches the SSH host keys: if it replaces them, sshd presents keys the readiness check does not accept",
      ],
    );
  });
});
