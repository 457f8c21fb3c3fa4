// Every argument mistake VmWithReadySsh catches before Azure sees anything, with its exact message.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { VmWithReadySshArgs } from "../../components/azure/args";
import {
  RESERVED_USERNAMES,
  tidyComputerName,
  validateVmArgs,
} from "../../components/azure/validate";
import { ed25519, rsa, sshKeygen } from "../support/keys";

const base: VmWithReadySshArgs = { location: "westeurope", adminUsername: "azureuser" };

function rejects(
  change: Partial<VmWithReadySshArgs>,
  name: string,
  message: string,
  vmName = "builder",
): void {
  assert.throws(() => validateVmArgs(vmName, { ...base, ...change }), { name, message });
}

describe("validateVmArgs", () => {
  it("accepts the minimal arguments without warnings", () => {
    assert.deepEqual(validateVmArgs("builder", base), { warnings: [] });
  });

  it("requires a location", () => {
    rejects({ location: "" }, "TypeError", '[location] is required (e.g. "westeurope")');
  });

  it("refuses every user name Azure reserves, whatever the case", () => {
    for (const reserved of [...RESERVED_USERNAMES, "Admin", "ROOT"]) {
      rejects(
        { adminUsername: reserved },
        "RangeError",
        `[adminUsername] "${reserved}" is reserved by Azure; choose another name (e.g. "azureuser")`,
      );
    }
  });

  it("refuses user names of the wrong length or with characters useradd refuses", () => {
    rejects(
      { adminUsername: "" },
      "RangeError",
      "[adminUsername] must be 1 to 64 characters, got 0",
    );
    rejects(
      { adminUsername: "u".repeat(65) },
      "RangeError",
      "[adminUsername] must be 1 to 64 characters, got 65",
    );
    for (const bad of ["-dash", "has space", "a/b", "café"]) {
      rejects(
        { adminUsername: bad },
        "TypeError",
        `[adminUsername] "${bad}" is not a user name the VM can create: use letters, digits, ".", "_" and "-", not starting with "-"`,
      );
    }
  });

  it("checks the computer name as a host name, and tidies one made from the resource name", () => {
    rejects(
      { computerName: "bad_name" },
      "TypeError",
      '[computerName] "bad_name" is not a host name: use letters, digits and "-", not at the start or the end',
    );
    rejects(
      { computerName: "x".repeat(64) },
      "RangeError",
      "[computerName] must be 1 to 63 characters (a host name), got 64",
    );
    rejects(
      { computerName: "12345" },
      "TypeError",
      '[computerName] "12345" must not be all digits',
    );
    assert.equal(tidyComputerName("Image_Builder.01"), "image-builder-01");
    assert.equal(tidyComputerName("2024"), "vm-2024");
    assert.equal(tidyComputerName("a".repeat(80)).length, 63);
  });

  it("requires sources for a public IP and checks every CIDR", () => {
    rejects(
      { network: { publicIp: true } },
      "TypeError",
      '[network.allowedSshSourceCidrs] is required when [network.publicIp] is true (e.g. your address: "203.0.113.4/32")',
    );
    rejects(
      { network: { publicIp: true, allowedSshSourceCidrs: ["203.0.113.4/33"] } },
      "RangeError",
      '[network.allowedSshSourceCidrs] "203.0.113.4/33": the prefix length must be 0 to 32',
    );
    rejects(
      { network: { publicIp: true, allowedSshSourceCidrs: ["my-laptop"] } },
      "TypeError",
      '[network.allowedSshSourceCidrs] "my-laptop" is not a CIDR like "203.0.113.4/32" or "10.0.0.0/16"',
    );
    rejects(
      { network: { publicIp: true, allowedSshSourceCidrs: ["203.0.113.4/24"] } },
      "TypeError",
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

  it("allows the whole internet only when written as a CIDR, and warns", () => {
    const { warnings } = validateVmArgs("builder", {
      ...base,
      network: { publicIp: true, allowedSshSourceCidrs: ["0.0.0.0/0"] },
    });
    assert.deepEqual(warnings, [
      '[network.allowedSshSourceCidrs] "0.0.0.0/0" opens SSH to the whole internet on builder; scanners will find it within minutes',
    ]);
    assert.throws(
      () =>
        validateVmArgs("builder", {
          ...base,
          network: { publicIp: true, allowedSshSourceCidrs: ["*"] },
        }),
      {
        message:
          '[network.allowedSshSourceCidrs] entry 1: write "0.0.0.0/0" to mean the whole internet',
      },
    );
  });

  it("refuses an existing subnet together with options for a new network", () => {
    rejects(
      { network: { subnetId: "/subscriptions/x/subnets/y", vnetAddressSpace: ["10.1.0.0/16"] } },
      "TypeError",
      "[network.subnetId] puts the VM in an existing subnet: [network.vnetAddressSpace] cannot be used with it",
    );
    rejects(
      { network: { subnetId: "/subscriptions/x/subnets/y", natGateway: true } },
      "TypeError",
      "[network.subnetId] puts the VM in an existing subnet: [network.natGateway] cannot be used with it",
    );
  });

  it("keeps the new subnet inside the VNet", () => {
    rejects(
      { network: { vnetAddressSpace: ["10.1.0.0/16"] } },
      "RangeError",
      '[network.subnetAddressPrefix] "10.0.0.0/24" is not inside [network.vnetAddressSpace]',
    );
    assert.doesNotThrow(() =>
      validateVmArgs("b", {
        ...base,
        network: { vnetAddressSpace: ["10.1.0.0/16"], subnetAddressPrefix: "10.1.2.0/24" },
      }),
    );
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
      "TypeError",
      '[ssh.publicKey] is not an OpenSSH public key line ("ssh-ed25519 AAAA…" or "ssh-rsa AAAA…")',
    );
    const weak = rsa(1024);
    rejects(
      { ssh: { publicKey: weak.public, privateKey: weak.private } },
      "RangeError",
      "[ssh.publicKey] is a 1024-bit RSA key; Azure requires at least 2048 bits",
    );
    const ecdsa = sshKeygen("ecdsa");
    rejects(
      { ssh: { publicKey: ecdsa.public, privateKey: ecdsa.private } },
      "TypeError",
      "[ssh.publicKey] is a ecdsa-sha2-nistp256 key; Azure takes ssh-ed25519 or ssh-rsa (≥ 2048 bits)",
    );
    rejects(
      { ssh: { publicKey: ed25519().public, privateKey: key.private } },
      "TypeError",
      "[ssh.publicKey] is not the public half of [ssh.privateKey]",
    );
    rejects(
      { ssh: { publicKey: key.public } },
      "TypeError",
      "[ssh.privateKey] is required with [ssh.publicKey]: the readiness check logs in with it",
    );
    rejects(
      { ssh: { privateKey: "not a key" } },
      "TypeError",
      "[ssh.privateKey] is not a private key in OpenSSH or PEM format",
    );
  });

  it("checks the image URN and reference", () => {
    rejects(
      { image: "Canonical:ubuntu" },
      "TypeError",
      '[image] "Canonical:ubuntu" is not an image URN "Publisher:Offer:Sku:Version"',
    );
    rejects(
      { image: { publisher: "Canonical", offer: "", sku: "server" } },
      "TypeError",
      "[image.offer] is required in an image reference",
    );
  });

  it("checks the OS disk size", () => {
    rejects(
      { osDisk: { sizeGb: 10 } },
      "RangeError",
      "[osDisk.sizeGb] must be a whole number of GiB from 30 to 4095, got 10",
    );
  });

  it("refuses user data cloud-init would not run, and custom data over Azure's 65,535 bytes", () => {
    rejects(
      { customData: "apt-get install nginx" },
      "TypeError",
      '[customData] is not user data cloud-init runs: start it with "#cloud-config", "#!" (a script), "#cloud-boothook", "#include", or give a MIME multi-part document',
    );
    assert.throws(
      () =>
        validateVmArgs("builder", { ...base, customData: `#!/bin/sh\n# ${"x".repeat(65_000)}\n` }),
      {
        name: "RangeError",
        // Exact: an Ed25519 host key part has the same length whichever key it holds.
        message:
          "[customData] makes the VM's custom data 66,230 bytes with the component's own cloud-config; Azure allows 65,535",
      },
    );
    // The same script fits without the component's host key part.
    assert.doesNotThrow(() =>
      validateVmArgs("builder", {
        ...base,
        hostKey: "first-seen",
        customData: `#!/bin/sh\n# ${"x".repeat(65_000)}\n`,
      }),
    );
  });

  it("checks the readiness options", () => {
    rejects(
      { readiness: { level: "ping" as never } },
      "TypeError",
      '[readiness.level] must be one of tcp, banner, auth, command, got "ping"',
    );
    rejects(
      { readiness: { timeout: "soon" } },
      "TypeError",
      '[readiness.timeout] is not a duration: "soon" (write e.g. "90s", "10m", "1m30s" or a number of seconds)',
    );
    rejects(
      { hostKey: "trust-me" as never },
      "TypeError",
      '[hostKey] must be "generated" or "first-seen", got "trust-me"',
    );
  });
});
