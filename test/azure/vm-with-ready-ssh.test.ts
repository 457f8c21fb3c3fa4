// VmWithReadySsh under Pulumi's mocks: its children, the inputs that matter, the chain from VM to readiness to
// connection, secrets; then, for real, an sshd with the host key the component generated and pinned.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { utils } from "ssh2";
import { VmWithReadySsh } from "../../components/azure";
import type { VmWithReadySshArgs } from "../../components/azure/args";
import { longestKeyPair, vmUserData, type HostKeys } from "../../components/azure/cloud-init";
import { KEY_TYPES } from "../../components/keys/generation";
import { ed25519 } from "../support/keys";
import { VM_ID } from "../support/azure-mocks";
import { isSecret, value, type Registered, type Registration } from "../support/pulumi-mocks";
import { mockStack } from "../support/stack-mocks";
import { cloudConfigs } from "../support/user-data";

/** The VM's osProfile: secret as a whole when it carries the host key in its custom data. */
function osProfile(name: string): { secret: boolean; value: Record<string, unknown> } {
  const os = byName(name).inputs.osProfile;
  return isSecret(os)
    ? { secret: true, value: os.value as Record<string, unknown> }
    : { secret: false, value: os as Record<string, unknown> };
}

const user = ed25519();
const byName = (name: string) => {
  const found = registered.find((r) => r.name === name);
  assert.ok(found, `${name} is registered`);
  return found;
};

async function build(name: string, args: VmWithReadySshArgs): Promise<VmWithReadySsh> {
  const vm = new VmWithReadySsh(name, args);
  await value(vm.connection);
  return vm;
}

let registered: Registered[] = [];
let registrations: Registration[] = [];
const registration = (name: string) => {
  const found = registrations.find((r) => r.name === name);
  assert.ok(found, `${name} is registered`);
  return found;
};

describe("VmWithReadySsh", () => {
  before(async () => {
    // The same mocks as the stacks' tests: Azure's computed outputs, our providers run for real.
    const run = await mockStack("test", {});
    registered = run.registered;
    registrations = run.registrations;
  });

  describe("a private VM with defaults (new network, generated keys, pinned host key)", () => {
    let vm: VmWithReadySsh;
    before(async () => {
      vm = await build("builder", {
        location: "westeurope",
        adminUsername: "azureuser",
        tags: { owner: "platform" },
      });
    });

    it("creates these children, named from its name", () => {
      const children = registered
        .filter((r) => r.name.startsWith("builder"))
        .map((r) => [r.type, r.name])
        .sort((a, b) => a[1].localeCompare(b[1]));
      const expected = [
        ["vm-with-ready-ssh:azure:VmWithReadySsh", "builder"],
        ["azure-native:resources:ResourceGroup", "builder-rg"],
        ["pulumi-nodejs:dynamic/ssh-key-pair:SshKeyPair", "builder-admin-key"],
        ["pulumi-nodejs:dynamic/ssh-key-pair:SshKeyPair", "builder-host-key"],
        ["pulumi-nodejs:dynamic/ssh-key-pair:SshKeyPair", "builder-host-key-ecdsa"],
        ["pulumi-nodejs:dynamic/ssh-key-pair:SshKeyPair", "builder-host-key-rsa"],
        ["azure-native:network:VirtualNetwork", "builder-vnet"],
        ["azure-native:network:PublicIPAddress", "builder-nat-ip"],
        ["azure-native:network:NatGateway", "builder-nat"],
        ["azure-native:network:Subnet", "builder-subnet"],
        ["azure-native:network:NetworkSecurityGroup", "builder-nsg"],
        ["azure-native:network:NetworkInterface", "builder-nic"],
        ["pulumi-nodejs:dynamic/nic-release:NicRelease", "builder-nic-release"],
        ["azure-native:compute:VirtualMachine", "builder-vm"],
        ["pulumi-nodejs:dynamic/ssh-readiness:SshReadiness", "builder-ready"],
      ];
      // Registration order depends on serialization; the set is what matters.
      assert.deepEqual(
        children,
        expected.sort((a, b) => a[1].localeCompare(b[1])),
      );
    });

    it("makes a private subnet, explicitly, with the NAT gateway as its way out", () => {
      const subnet = byName("builder-subnet").inputs;
      assert.equal(subnet.defaultOutboundAccess, false);
      assert.deepEqual(subnet.natGateway, { id: "/subscriptions/sub/builder-nat" });
      assert.equal(subnet.addressPrefix, "10.0.0.0/24");
      assert.deepEqual(byName("builder-nat").inputs.sku, { name: "Standard" });
      assert.deepEqual(byName("builder-nat-ip").inputs.sku, { name: "Standard", tier: "Regional" });
    });

    it("allows SSH only from the VNet", () => {
      const [rule] = byName("builder-nsg").inputs.securityRules as Record<string, unknown>[];
      assert.deepEqual(
        { ...rule },
        {
          name: "allow-ssh",
          description: "SSH from the allowed sources only (vm-with-ready-ssh)",
          priority: 1000,
          direction: "Inbound",
          access: "Allow",
          protocol: "Tcp",
          sourcePortRange: "*",
          destinationPortRange: "22",
          destinationAddressPrefix: "*",
          sourceAddressPrefix: "10.0.0.0/16",
        },
      );
    });

    it("gives the NIC no public IP and the NSG", () => {
      const nic = byName("builder-nic").inputs;
      const [config] = nic.ipConfigurations as Record<string, unknown>[];
      assert.equal(config.publicIPAddress, undefined);
      assert.deepEqual(config.subnet, { id: "/subscriptions/sub/builder-subnet" });
      assert.deepEqual(nic.networkSecurityGroup, { id: "/subscriptions/sub/builder-nsg" });
    });

    it("makes a key-only Ubuntu 24.04 VM with boot diagnostics and a disk that goes with it", async () => {
      const inputs = byName("builder-vm").inputs as Record<string, Record<string, unknown>>;
      assert.deepEqual(inputs.hardwareProfile, { vmSize: "Standard_D2s_v5" });
      assert.deepEqual(inputs.diagnosticsProfile, { bootDiagnostics: { enabled: true } });
      const storage = inputs.storageProfile as Record<string, Record<string, unknown>>;
      assert.deepEqual(storage.imageReference, {
        publisher: "Canonical",
        offer: "ubuntu-24_04-lts",
        sku: "server",
        version: "latest",
      });
      assert.equal(storage.osDisk.deleteOption, "Delete");
      assert.equal(storage.osDisk.createOption, "FromImage");
      const os = osProfile("builder-vm").value as Record<string, unknown> & {
        linuxConfiguration: Record<string, unknown>;
      };
      assert.equal(os.computerName, "builder");
      assert.equal(os.adminUsername, "azureuser");
      assert.equal(os.linuxConfiguration.disablePasswordAuthentication, true);
      const ssh = os.linuxConfiguration.ssh as { publicKeys: { path: string; keyData: string }[] };
      assert.deepEqual(ssh.publicKeys, [
        { path: "/home/azureuser/.ssh/authorized_keys", keyData: await value(vm.adminPublicKey) },
      ]);
    });

    it("puts three generated host keys in the custom data, secret, and pins all three", async () => {
      const os = osProfile("builder-vm");
      assert.ok(os.secret, "custom data holds the host private keys: secret");
      const userData = Buffer.from(String(os.value.customData), "base64").toString();
      const [config] = cloudConfigs(userData);
      const pairs = await Promise.all(
        ["builder-host-key", "builder-host-key-ecdsa", "builder-host-key-rsa"].map(async (name) => {
          const pair = registered.find((r) => r.name === name)!;
          assert.equal(pair.inputs.keyType, name.split("-")[3] ?? "ed25519");
          return pair;
        }),
      );
      const keys = config.ssh_keys as Record<string, string>;
      assert.deepEqual(Object.keys(config), ["ssh_deletekeys", "ssh_keys"]);
      assert.equal(config.ssh_deletekeys, true);
      assert.deepEqual(Object.keys(keys), [
        "ed25519_private",
        "ed25519_public",
        "ecdsa_private",
        "ecdsa_public",
        "rsa_private",
        "rsa_public",
      ]);
      // Each private key in the custom data is the half of the public key beside it.
      for (const type of ["ed25519", "ecdsa", "rsa"]) {
        const privateHalf = utils.parseKey(keys[`${type}_private`]);
        const publicHalf = utils.parseKey(keys[`${type}_public`]);
        assert.ok(!(privateHalf instanceof Error) && !(publicHalf instanceof Error));
        assert.ok(!Array.isArray(privateHalf) && !Array.isArray(publicHalf));
        assert.ok(privateHalf.getPublicSSH().equals(publicHalf.getPublicSSH()), type);
      }
      // Ed25519 first: the readiness check offers the pinned types in this order.
      const pin = [keys.ed25519_public, keys.ecdsa_public, keys.rsa_public];
      assert.deepEqual(byName("builder-ready").inputs.hostKeyPin, pin);
      assert.deepEqual(await value(vm.hostPublicKeys), pin);
      assert.equal(pairs.length, 3);
    });

    it("stays within the size bound checked at preview", () => {
      const userData = Buffer.from(String(osProfile("builder-vm").value.customData), "base64");
      const bound = vmUserData(
        undefined,
        Object.fromEntries(
          KEY_TYPES.map((type) => [type, longestKeyPair(type, `${type} host key of builder`)]),
        ) as HostKeys,
      )!;
      assert.ok(userData.length <= Buffer.byteLength(bound));
      assert.ok(Buffer.byteLength(bound) - userData.length < 32, "the bound is tight");
    });

    it("replaces the VM (old one first) on changes Azure refuses, the NIC on a new subnet, the subnet on a new range", () => {
      assert.deepEqual(
        [
          registration("builder-vm").replaceOnChanges,
          registration("builder-vm").deleteBeforeReplace,
        ],
        [
          [
            "osProfile",
            "storageProfile.imageReference",
            "storageProfile.osDisk",
            "networkProfile",
            "securityProfile",
          ],
          true,
        ],
      );
      assert.deepEqual(
        [
          registration("builder-nic").replaceOnChanges,
          registration("builder-nic").deleteBeforeReplace,
        ],
        [["ipConfigurations[*].subnet"], true],
      );
      // Nothing else is replaced or deleted first: the key pairs and the network stay.
      for (const name of ["builder-host-key", "builder-nsg"]) {
        assert.deepEqual(
          [registration(name).replaceOnChanges, registration(name).deleteBeforeReplace],
          [[], false],
          name,
        );
      }
      // A new range is a new subnet, made before the old one is deleted.
      assert.deepEqual(
        [
          registration("builder-subnet").replaceOnChanges,
          registration("builder-subnet").deleteBeforeReplace,
        ],
        [["addressPrefix"], false],
      );
    });

    it("waits at level command for 15 minutes on the private IP, again for a new vmId", () => {
      const ready = byName("builder-ready").inputs;
      assert.deepEqual(
        {
          host: ready.host,
          port: ready.port,
          username: ready.username,
          level: ready.level,
          timeout: ready.timeout,
        },
        { host: "10.0.0.4", port: 22, username: "azureuser", level: "command", timeout: "15m" },
      );
      assert.deepEqual(ready.triggers, [VM_ID]);
      assert.ok(isSecret(ready.privateKey));
    });

    it("builds the connection from the readiness outputs, the key secret", async () => {
      assert.equal(await pulumi.isSecret(vm.connection), true);
      const connection = await value(vm.connection);
      const pin = (byName("builder-ready").inputs.hostKeyPin as string[])[0];
      // The readiness output (the key as presented, without the pin's comment), not the pin itself.
      assert.equal(connection.hostKey, pin.split(" ").slice(0, 2).join(" "));
      assert.equal(connection.host, "10.0.0.4");
      assert.equal(connection.user, "azureuser");
      assert.equal(connection.port, 22);
      assert.match(connection.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----/);
      assert.match(connection.hostKey ?? "", /^ssh-ed25519 AAAA/);
      assert.equal(await pulumi.isSecret(vm.adminPrivateKey), true);
      assert.equal(await value(vm.hostKey), connection.hostKey);
      assert.equal(await value(vm.knownHostsLine), `10.0.0.4 ${connection.hostKey}`);
    });

    it("tags every Azure resource", () => {
      const azure = registered.filter(
        (r) => r.name.startsWith("builder") && r.type.startsWith("azure-native:"),
      );
      for (const child of azure.filter((r) => r.type !== "azure-native:network:Subnet")) {
        assert.deepEqual(child.inputs.tags, { owner: "platform" }, child.name);
      }
    });
  });

  describe("a public VM with the user's keys", () => {
    let vm: VmWithReadySsh;
    before(async () => {
      vm = await build("web", {
        location: "westeurope",
        adminUsername: "azureuser",
        ssh: { publicKey: user.public, privateKey: user.private },
        // Written as users may write them; Azure is sent the canonical form.
        network: {
          publicIp: true,
          allowedSshSourceCidrs: ["203.0.113.4", "198.51.100.0/024", "2001:0DB8:0000::/48"],
        },
      });
    });

    it("gets a Standard static public IP, no NAT gateway, and no generated admin key", () => {
      const names = registered.filter((r) => r.name.startsWith("web")).map((r) => r.name);
      assert.ok(!names.includes("web-nat") && !names.includes("web-admin-key"));
      const ip = byName("web-ip").inputs;
      assert.deepEqual(
        [ip.sku, ip.publicIPAllocationMethod, ip.publicIPAddressVersion],
        [{ name: "Standard", tier: "Regional" }, "Static", "IPv4"],
      );
      const [config] = byName("web-nic").inputs.ipConfigurations as Record<string, unknown>[];
      assert.deepEqual(config.publicIPAddress, { id: "/subscriptions/sub/web-ip" });
    });

    it("allows SSH only from the given sources, in the form Azure stores", () => {
      const [rule] = byName("web-nsg").inputs.securityRules as Record<string, unknown>[];
      assert.deepEqual(rule.sourceAddressPrefixes, [
        "203.0.113.4/32",
        "198.51.100.0/24",
        "2001:db8::/48",
      ]);
    });

    it("hands remote.Command a connection that is the readiness check's (the README example)", async () => {
      const provision = new command.remote.Command("provision", {
        connection: vm.connection,
        create: "sudo apt-get install -y nginx",
      });
      await value(provision.urn);
      const { connection } = byName("provision").inputs;
      assert.ok(isSecret(connection));
      const { host, user: login, hostKey } = connection.value as Record<string, unknown>;
      assert.deepEqual(
        { host, login, hostKey },
        { host: "20.1.2.3", login: "azureuser", hostKey: await value(vm.hostKey) },
      );
    });

    it("waits on the public IP with the user's key", async () => {
      const ready = byName("web-ready").inputs;
      assert.equal(ready.host, "20.1.2.3");
      assert.equal((ready.privateKey as { value: string }).value, user.private);
      assert.equal(await value(vm.publicIpAddress), "20.1.2.3");
      assert.equal(await value(vm.sshHost), "20.1.2.3");
    });
  });

  describe("in an existing resource group and subnet, trusting the first key seen", () => {
    before(async () => {
      await build("inner", {
        location: "westeurope",
        adminUsername: "azureuser",
        resourceGroupName: "shared-rg",
        hostKeyTrust: "first-seen",
        ssh: { privateKey: user.private },
        network: {
          subnetId:
            "/subscriptions/sub/resourceGroups/shared-rg/providers/Microsoft.Network/virtualNetworks/hub/subnets/vms",
        },
        readiness: { level: "auth", timeout: 300 },
      });
    });

    it("creates no resource group, network or host key", () => {
      const types = registered
        .filter((r) => r.name.startsWith("inner"))
        .map((r) => r.type.split(":").pop());
      assert.deepEqual(types, [
        "VmWithReadySsh",
        "NetworkSecurityGroup",
        "NetworkInterface",
        "NicRelease",
        "VirtualMachine",
        "SshReadiness",
      ]);
    });

    it("allows SSH from the VirtualNetwork service tag, and uses the given subnet", () => {
      const [rule] = byName("inner-nsg").inputs.securityRules as Record<string, unknown>[];
      assert.equal(rule.sourceAddressPrefix, "VirtualNetwork");
      const [config] = byName("inner-nic").inputs.ipConfigurations as Record<string, unknown>[];
      assert.match(String((config.subnet as { id: string }).id), /\/subnets\/vms$/);
      assert.equal(byName("inner-nic").inputs.resourceGroupName, "shared-rg");
    });

    it("sends no custom data and pins nothing; derives the public key from the private one", () => {
      const profile = osProfile("inner-vm");
      assert.equal(profile.secret, false);
      const os = profile.value as Record<string, unknown> & {
        linuxConfiguration: { ssh: { publicKeys: { keyData: string }[] } };
      };
      assert.equal(os.customData, undefined);
      assert.equal(byName("inner-ready").inputs.hostKeyPin, undefined);
      assert.equal(
        os.linuxConfiguration.ssh.publicKeys[0].keyData,
        user.public.split(" ").slice(0, 2).join(" "),
      );
      assert.deepEqual(
        [byName("inner-ready").inputs.level, byName("inner-ready").inputs.timeout],
        ["auth", 300],
      );
    });
  });

  describe("trusting the host keys its console shows", () => {
    let vm: VmWithReadySsh;
    before(async () => {
      vm = await build("witness", {
        location: "westeurope",
        adminUsername: "azureuser",
        hostKeyTrust: "console",
        ssh: { privateKey: user.private },
      });
    });

    it("generates and sends no host key, and its check pins the console's keys, read from its own boot diagnostics", async () => {
      const types = registered
        .filter((r) => r.name.startsWith("witness"))
        .map((r) => r.type.split(":").pop());
      assert.ok(!types.includes("SshKeyPair"), types.join(" "));
      const os = osProfile("witness-vm").value as Record<string, unknown>;
      assert.equal(os.customData, undefined);
      const ready = byName("witness-ready").inputs;
      assert.equal(ready.hostKeyPin, "console");
      assert.equal(ready.azureVmId, await value(vm.virtualMachine.id));
      assert.equal(ready.level, "command");
      // Boot diagnostics are on: the console is there to read.
      const diagnostics = byName("witness-vm").inputs.diagnosticsProfile as {
        bootDiagnostics: { enabled: boolean };
      };
      assert.equal(diagnostics.bootDiagnostics.enabled, true);
    });
  });

  it("refuses bad arguments before creating any child", () => {
    const before = registered.length;
    assert.throws(
      () => new VmWithReadySsh("bad", { location: "westeurope", adminUsername: "admin" }),
      {
        name: "InvalidOptionError",
        message:
          '[adminUsername] "admin" is reserved by Azure; choose another name (e.g. "azureuser")',
      },
    );
    // Only the component itself may have registered; no child.
    assert.ok(
      registered.slice(before).every((r) => r.type === "vm-with-ready-ssh:azure:VmWithReadySsh"),
    );
  });

  describe("trusting the first key seen at a level that does not log in", () => {
    let vm: VmWithReadySsh;
    before(async () => {
      vm = await build("probe", {
        location: "westeurope",
        adminUsername: "azureuser",
        hostKeyTrust: "first-seen",
        ssh: { privateKey: user.private },
        readiness: { level: "banner", attemptTimeout: "20s", commandTimeout: undefined },
      });
    });

    it("leaves the host key out of the connection instead of an empty one @pulumi/command cannot parse", async () => {
      const connection = await value(vm.connection);
      assert.equal("hostKey" in connection, false);
      assert.equal(await value(vm.hostKey), undefined);
      assert.equal(await value(vm.knownHostsLine), undefined);
      assert.equal(await value(vm.hostPublicKeys), undefined);
    });
  });

  it("sets the security type only when asked: Trusted Launch with Secure Boot and a vTPM, or Standard", async () => {
    const made = async (name: string, securityType?: "Standard" | "TrustedLaunch") => {
      await build(name, { location: "westeurope", adminUsername: "azureuser", securityType });
      return byName(`${name}-vm`).inputs.securityProfile;
    };
    assert.equal(
      await made("unset"),
      undefined,
      "a VM made before the argument existed is sent the same",
    );
    assert.deepEqual(await made("standard", "Standard"), { securityType: "Standard" });
    assert.deepEqual(await made("trusted", "TrustedLaunch"), {
      securityType: "TrustedLaunch",
      uefiSettings: { secureBootEnabled: true, vTpmEnabled: true },
    });
  });

  it("passes the readiness command's time limit on", async () => {
    await build("limited", {
      location: "westeurope",
      adminUsername: "azureuser",
      readiness: { commandTimeout: "20m", attemptTimeout: 30 },
    });
    const ready = byName("limited-ready").inputs;
    assert.deepEqual([ready.commandTimeout, ready.attemptTimeout], ["20m", 30]);
  });
});
