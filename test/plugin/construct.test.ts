// VmWithReadySsh constructed through the provider plugin, as a program in another language gets it: the
// plugin runs from source (the SDK's run-plugin, in a directory with no node_modules) and registers the
// component's children with a recording resource monitor over gRPC, in the engine's place.
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { KEY_TYPES } from "../../components/keys/generation";
import {
  NIC_RELEASE,
  SSH_KEY_PAIR,
  SSH_READINESS,
  VM_WITH_READY_SSH,
} from "../../components/plugin/schema";
import { isWireSecret, SPECIAL_SIG_KEY } from "../../components/plugin/wire";
import { ed25519 } from "../support/keys";
import { ProviderHost } from "../support/provider-host";
import { RecordingMonitor, type Registration } from "../support/resource-monitor";
import { noSecretIn, unmarked } from "../support/secrets";
import { scratchDir } from "../support/scratch";

const REPO = resolve(__dirname, "../../..");
/** An output value on the wire (a value with its secrecy and dependencies), as engines send to construct. */
const OUTPUT_VALUE = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const outputValue = (value: unknown, { secret = false, dependencies = [] as string[] } = {}) => ({
  [SPECIAL_SIG_KEY]: OUTPUT_VALUE,
  value,
  secret,
  dependencies,
});

/** How Pulumi writes a resource reference on the wire. */
const RESOURCE_REFERENCE = "5cf8f73096256a8f31e491e813e4eb8e";

type Monitor = Awaited<ReturnType<typeof RecordingMonitor.start>>;

async function startPlugin(monitor: Monitor): Promise<ProviderHost> {
  const plugin = await ProviderHost.startPlugin(
    join(REPO, "provider"),
    scratchDir("ssh-ready-program-"),
    monitor.engineAddress,
  );
  await plugin.configure();
  return plugin;
}

/** Runs `test` with a plugin of its own and a monitor of its own, both stopped afterwards. */
async function withPlugin(test: (monitor: Monitor, plugin: ProviderHost) => Promise<void>) {
  const monitor = await RecordingMonitor.start();
  const plugin = await startPlugin(monitor);
  try {
    await test(monitor, plugin);
  } finally {
    await plugin.stop();
    await monitor.stop();
  }
}

describe("VmWithReadySsh constructed through the provider plugin", () => {
  let monitor: Monitor;
  let plugin: ProviderHost;
  let result: { urn: string; state: Record<string, unknown> };
  const byType = (type: string) => monitor.registrations.filter((r) => r.type === type);
  const one = (type: string): Registration => {
    const found = byType(type);
    assert.equal(
      found.length,
      1,
      `one ${type}: ${monitor.registrations.map((r) => r.type).join(", ")}`,
    );
    return found[0];
  };

  before(async () => {
    monitor = await RecordingMonitor.start();
    plugin = await startPlugin(monitor);
    result = await plugin.construct(monitor, VM_WITH_READY_SSH, "builder", {
      location: "westeurope",
      adminUsername: "azureuser",
      network: { publicIp: true, allowedSshSourceCidrs: ["203.0.113.4/32"] },
      readiness: { timeout: "20m" },
      tags: { team: "platform" },
    });
  });
  after(async () => {
    await plugin.stop();
    await monitor.stop();
  });

  it("registers the component under its own token, and its Azure children under it", () => {
    const component = one(VM_WITH_READY_SSH);
    assert.equal(component.custom, false);
    assert.equal(result.urn, component.urn);
    for (const type of [
      "azure-native:resources:ResourceGroup",
      "azure-native:network:VirtualNetwork",
      "azure-native:network:Subnet",
      "azure-native:network:NetworkSecurityGroup",
      "azure-native:network:PublicIPAddress",
      "azure-native:network:NetworkInterface",
      "azure-native:compute:VirtualMachine",
    ]) {
      const child = one(type);
      assert.equal(child.custom, true);
      assert.equal(child.parent, component.urn, `${type} is the component's child`);
    }
    const vm = one("azure-native:compute:VirtualMachine");
    assert.deepEqual(vm.replaceOnChanges, [
      "osProfile",
      "storageProfile.imageReference",
      "storageProfile.osDisk",
      "networkProfile",
      "securityProfile",
    ]);
    assert.equal(vm.deleteBeforeReplace, true);
    assert.deepEqual(vm.inputs.tags, { team: "platform" });
  });

  it("makes the key pairs, the NIC's release and the readiness check as the plugin's own custom resources", () => {
    const pairs = byType(SSH_KEY_PAIR);
    assert.deepEqual(pairs.map((p) => p.name).sort(), [
      "builder-admin-key",
      "builder-host-key",
      "builder-host-key-ecdsa",
      "builder-host-key-rsa",
    ]);
    for (const pair of pairs) {
      assert.equal(pair.custom, true);
      assert.deepEqual(pair.additionalSecretOutputs, ["privateKey"]);
    }
    // The NIC's release, between the VM and its NIC, with the pause that outlasts Azure's reservation.
    const release = one(NIC_RELEASE);
    assert.equal(release.custom, true);
    assert.equal(release.inputs.holdSeconds, 190);
    assert.ok(one("azure-native:compute:VirtualMachine").dependencies.includes(release.urn));
    const ready = one(SSH_READINESS);
    assert.equal(ready.custom, true);
    assert.equal(ready.name, "builder-ready");
    assert.equal(ready.parent, one(VM_WITH_READY_SSH).urn);
    assert.ok(
      ready.version,
      "the readiness check names the plugin's version for its default provider",
    );
    // No dynamic resource: a program in another language could not run one.
    assert.ok(!monitor.registrations.some((r) => r.type.startsWith("pulumi-nodejs:dynamic")));
  });

  it("pins the host keys it generated, waits for the VM's address and the new vmId, the key secret", () => {
    const ready = one(SSH_READINESS).inputs;
    const pins = ready.hostKeyPin as string[];
    // The public keys of the host key pairs made, Ed25519 first: sshd presents that one.
    const publicKeyOf = (name: string) =>
      monitor.outputsSent.find((sent) => sent.name === name)?.outputs.publicKey;
    assert.deepEqual(
      pins,
      KEY_TYPES.map((type) =>
        publicKeyOf(type === "ed25519" ? "builder-host-key" : `builder-host-key-${type}`),
      ),
    );
    assert.match(pins[0], /^ssh-ed25519 /);
    assert.equal(ready.host, "203.0.113.10");
    assert.equal(ready.username, "azureuser");
    assert.equal(ready.level, "command");
    assert.equal(ready.timeout, "20m");
    assert.deepEqual(ready.triggers, ["vm-id-of-builder-vm"]);
    assert.ok(
      isWireSecret(ready.privateKey),
      "the admin key reaches the readiness check as a secret",
    );
    assert.ok(
      one(SSH_READINESS).dependencies.includes(one("azure-native:compute:VirtualMachine").urn),
    );
  });

  it("returns the component's outputs: connection and the private key secret, ready a resource reference", () => {
    const { state } = result;
    assert.ok(isWireSecret(state.connection), "connection is secret");
    assert.ok(isWireSecret(state.adminPrivateKey), "the admin private key is secret");
    const connection = (state.connection as { value: Record<string, unknown> }).value;
    assert.deepEqual(
      { host: connection.host, port: connection.port, user: connection.user },
      { host: "203.0.113.10", port: 22, user: "azureuser" },
    );
    const ready = state.ready as Record<string, unknown>;
    assert.equal(ready[SPECIAL_SIG_KEY], RESOURCE_REFERENCE);
    assert.equal(ready.urn, one(SSH_READINESS).urn);
    assert.equal(state.vmId, "vm-id-of-builder-vm");
    assert.match(String(state.virtualMachineId), /VirtualMachine\/builder-vm$/);
    assert.equal(state.sshHost, "203.0.113.10");
    assert.equal(state.privateIpAddress, "10.0.0.4");
    assert.equal((state.hostPublicKeys as string[]).length, 3);
  });

  it("never sends a private key in plaintext, in any registration or in its outputs", () => {
    // The key pairs the monitor made as their provider would (the admin key among them). A private key file
    // holds its public key too, which is rightly in plaintext (the pins, the VM's authorized key): only the
    // lines that are not part of the public key line count.
    const pairs = monitor.outputsSent
      .filter((sent) => sent.type === SSH_KEY_PAIR)
      .map((sent) => sent.outputs as { privateKey: { value: string }; publicKey: string });
    assert.equal(pairs.length, 4);
    const privateOnly = pairs.map(({ privateKey, publicKey }) =>
      privateKey.value
        .split("\n")
        .filter((line) => !publicKey.includes(line))
        .join("\n"),
    );
    const keyLines = noSecretIn([], privateOnly);
    const noKey = (text: string, where: string) => {
      assert.doesNotMatch(text, /PRIVATE KEY/, `no private key in ${where}`);
      keyLines(text, where);
    };
    for (const registration of monitor.registrations)
      noKey(JSON.stringify(unmarked(registration.inputs)), `${registration.type} inputs`);
    noKey(JSON.stringify(unmarked(result.state)), "the component's outputs");
  });
});

describe("VmWithReadySsh through the plugin, with the user's key", () => {
  it("takes the key as a secret and makes no admin key pair", () =>
    withPlugin(async (monitor, plugin) => {
      const user = ed25519();
      const { state } = await plugin.construct(monitor, VM_WITH_READY_SSH, "vm", {
        location: "westeurope",
        adminUsername: "azureuser",
        // As an engine sends a secret inside an object to a plugin that takes output values.
        ssh: { privateKey: outputValue(user.private, { secret: true }), publicKey: user.public },
      });
      assert.deepEqual(
        monitor.registrations
          .filter((r) => r.type === SSH_KEY_PAIR)
          .map((r) => r.name)
          .sort(),
        ["vm-host-key", "vm-host-key-ecdsa", "vm-host-key-rsa"],
      );
      assert.equal(state.adminPublicKey, user.public);
      const ready = monitor.registrations.find((r) => r.type === SSH_READINESS)!;
      assert.ok(isWireSecret(ready.inputs.privateKey));
      assert.equal((ready.inputs.privateKey as { value: string }).value, user.private);
      assert.ok(isWireSecret(state.connection) && isWireSecret(state.adminPrivateKey));
      noSecretIn([], [user.private])(JSON.stringify(unmarked(state)), "the component's outputs");
    }));

  it("refuses an argument that takes a value when it is not known yet, naming it", () =>
    withPlugin(async (monitor, plugin) => {
      // An output value without a value: another resource's output that preview does not know yet.
      const unknown = { [SPECIAL_SIG_KEY]: OUTPUT_VALUE, dependencies: [] };
      await assert.rejects(
        plugin.construct(monitor, VM_WITH_READY_SSH, "vm", {
          location: "westeurope",
          adminUsername: "azureuser",
          network: { publicIp: unknown },
        }),
        /\[network\.publicIp\] must be known when the program runs/,
      );
      assert.deepEqual(monitor.registrations, []);
    }));

  it("refuses a bad argument with the component's own message, before registering anything", () =>
    withPlugin(async (monitor, plugin) => {
      await assert.rejects(
        plugin.construct(monitor, VM_WITH_READY_SSH, "vm", {
          location: "westeurope",
          adminUsername: "admin",
        }),
        /\[adminUsername\]/,
      );
      assert.deepEqual(monitor.registrations, []);
    }));
});
