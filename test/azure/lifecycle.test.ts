// VmWithReadySsh on the second `pulumi up`: the program runs twice under Pulumi's mocks, the key pairs kept
// as a stack's state keeps them, and the VM's inputs of the two runs are compared the way the engine applies
// `replaceOnChanges` to a provider's diff: every change Azure refuses must fall under a replace path, every
// change it accepts must not, and an unchanged program must change nothing.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { VmWithReadySsh } from "../../components/azure";
import type { VmWithReadySshArgs } from "../../components/azure/args";
import { ed25519, sshKeygen } from "../support/keys";
import { readDeclarations } from "../../tools/schema/interfaces";
import { isSecret, value } from "../support/pulumi-mocks";
import { mockStack, type KeptState, type StackRun } from "../support/stack-mocks";
import { FakeClock } from "../support/fake-clock";
import {
  NIC_HOLD_S,
  NIC_RESERVATION_S,
  nicReleaseProvider,
  type NicReleaseInputs,
} from "../../components/azure/nic-release-provider";
import { UNKNOWN } from "../../components/provider-code";

const user = ed25519();
const other = ed25519();
const baseline: VmWithReadySshArgs = {
  location: "westeurope",
  adminUsername: "azureuser",
  ssh: { privateKey: user.private },
  customData: "#cloud-config\npackages: [nginx]\n",
  tags: { owner: "platform" },
};

/** One `pulumi up` of a program holding one VmWithReadySsh named "app". */
async function up(args: VmWithReadySshArgs, kept: KeptState): Promise<StackRun> {
  const run = await mockStack("test", {}, kept);
  const vm = new VmWithReadySsh("app", args);
  await value(vm.connection);
  return run;
}

/** Secret markers removed, as a provider's diff sees values. */
function plain(input: unknown): unknown {
  if (isSecret(input)) return plain(input.value);
  if (Array.isArray(input)) return input.map(plain);
  if (typeof input === "object" && input !== null)
    return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, plain(v)]));
  return input;
}

/** The property paths whose values differ ("osProfile.customData", "ipConfigurations[0].subnet.id"). */
function changedPaths(
  before: unknown,
  after: unknown,
  path: (string | number)[] = [],
): (string | number)[][] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const container = (v: unknown) => typeof v === "object" && v !== null;
  if (!container(before) || !container(after) || Array.isArray(before) !== Array.isArray(after))
    return [path];
  const keys = new Set([...Object.keys(before as object), ...Object.keys(after as object)]);
  return [...keys].flatMap((key) =>
    changedPaths(
      (before as Record<string, unknown>)[key],
      (after as Record<string, unknown>)[key],
      [...path, Array.isArray(before) ? Number(key) : key],
    ),
  );
}

/** pulumi's PropertyPath.Contains: `pattern` ("a.b[*].c") is a prefix of `path`, "*" matching any element. */
function contains(pattern: string, path: (string | number)[]): boolean {
  const parts = pattern.split(/\.|\[|\]/).filter((p) => p !== "");
  return parts.length <= path.length && parts.every((p, i) => p === "*" || p === String(path[i]));
}

function show(path: (string | number)[]): string {
  return path
    .map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`))
    .join("")
    .slice(1);
}

/**
 * The order the engine deletes `names` in when all are replaced: a resource after everything that depends on
 * it, directly or through others (a dependent first).
 */
function deleteOrder(run: StackRun, names: string[]): string[] {
  const order: string[] = [];
  const left = [...names];
  while (left.length > 0) {
    const next = left.find(
      (name) => !left.some((other) => other !== name && run.dependsOn(other, name)),
    );
    assert.ok(next, `a dependency cycle among ${left.join(", ")}`);
    order.push(next);
    left.splice(left.indexOf(next), 1);
  }
  return order;
}

interface Outcome {
  /** Per resource name: the changed input paths, and whether replaceOnChanges covers each. */
  changes: Map<string, { path: string; replaces: boolean }[]>;
  first: StackRun;
  second: StackRun;
}

async function twoRuns(
  change: Partial<VmWithReadySshArgs>,
  from: VmWithReadySshArgs = baseline,
): Promise<Outcome> {
  const kept: KeptState = new Map();
  const first = await up(from, kept);
  const second = await up({ ...from, ...change }, kept);
  const changes = new Map<string, { path: string; replaces: boolean }[]>();
  for (const resource of second.registered) {
    const before = first.registered.find((r) => r.name === resource.name);
    if (!before) continue;
    // A provider's code is not an input the engine diffs for replacement.
    const inputs = (r: typeof resource) => {
      const all = { ...(plain(r.inputs) as Record<string, unknown>) };
      delete all.__provider;
      return all;
    };
    const paths = changedPaths(inputs(before), inputs(resource));
    if (paths.length === 0) continue;
    const patterns = second.registration(resource.name).replaceOnChanges;
    changes.set(
      resource.name,
      paths.map((p) => ({
        path: show(p),
        replaces: patterns.some((pattern) => contains(pattern, p)),
      })),
    );
  }
  return { changes, first, second };
}

describe("VmWithReadySsh on the second pulumi up", () => {
  it("changes nothing when nothing changed: same custom data bytes, same keys, same pin", async () => {
    const { changes } = await twoRuns({});
    assert.deepEqual([...changes.keys()], []);
  });

  const immutable: [string, Partial<VmWithReadySshArgs>, string[]][] = [
    [
      "customData",
      { customData: "#cloud-config\npackages: [nginx, jq]\n" },
      ["osProfile.customData"],
    ],
    [
      "image",
      { image: "Canonical:ubuntu-24_04-lts:server-arm64:latest" },
      ["storageProfile.imageReference.sku"],
    ],
    ["adminUsername", { adminUsername: "ops" }, ["osProfile.adminUsername"]],
    [
      "the admin key",
      { ssh: { privateKey: other.private } },
      ["osProfile.linuxConfiguration.ssh.publicKeys[0].keyData"],
    ],
    ["computerName", { computerName: "app-2" }, ["osProfile.computerName"]],
    ["the trust mode", { hostKeyTrust: "first-seen" }, ["osProfile.customData"]],
    // Azure changes an OS disk's size or type only on a deallocated VM, and never shrinks one.
    [
      "the OS disk type",
      { osDisk: { storageAccountType: "Premium_LRS" } },
      ["storageProfile.osDisk.managedDisk.storageAccountType"],
    ],
    ["the OS disk size", { osDisk: { sizeGb: 64 } }, ["storageProfile.osDisk.diskSizeGB"]],
  ];
  for (const [what, change, expected] of immutable) {
    it(`replaces the VM when ${what} changes (Azure refuses the update)`, async () => {
      const { changes, second } = await twoRuns(change);
      const vm = changes.get("app-vm") ?? [];
      for (const path of expected) {
        assert.ok(
          vm.some((c) => c.path === path || c.path.startsWith(`${path}.`)),
          `${path} changed (changes: ${vm.map((c) => c.path).join(", ")})`,
        );
      }
      assert.ok(vm.length > 0 && vm.every((c) => c.replaces), JSON.stringify(vm));
      // Deleted first: the new VM takes the NIC the old one holds.
      assert.equal(second.registration("app-vm").deleteBeforeReplace, true);
    });
  }

  it("keeps the pin across a replacement: the host keys are not regenerated", async () => {
    const { first, second } = await twoRuns({ customData: "#!/bin/sh\ntrue\n" });
    const pin = (run: StackRun) => run.byName("app-ready").inputs.hostKeyPin;
    assert.equal((pin(first) as string[]).length, 3);
    assert.deepEqual(pin(second), pin(first));
    // The readiness check waits again for a replaced VM: its trigger is the VM's own vmId.
    assert.ok(
      second.registration("app-ready").dependencies.includes(second.registration("app-vm").urn),
    );
  });

  it("replaces the VM and its NIC on a new subnet, and deletes the NIC only after Azure's reservation", async () => {
    const subnet = (name: string) =>
      `/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub/subnets/${name}`;
    const kept: KeptState = new Map();
    const first = await up({ ...baseline, network: { subnetId: subnet("a") } }, kept);
    const second = await up({ ...baseline, network: { subnetId: subnet("b") } }, kept);
    const nicPaths = changedPaths(
      plain(first.byName("app-nic").inputs),
      plain(second.byName("app-nic").inputs),
    );
    assert.deepEqual(nicPaths.map(show), ["ipConfigurations[0].subnet.id"]);
    const nic = second.registration("app-nic");
    assert.ok(nicPaths.every((p) => nic.replaceOnChanges.some((pattern) => contains(pattern, p))));
    // Deleted first: the public IP, when there is one, is on one NIC at a time.
    assert.equal(nic.deleteBeforeReplace, true);
    // A new NIC is a new id in the VM's network profile: the VM is replaced too.
    const vm = second.registration("app-vm");
    assert.ok(
      vm.replaceOnChanges.some((pattern) =>
        contains(pattern, ["networkProfile", "networkInterfaces", 0, "id"]),
      ),
    );
    // The release is replaced with the NIC (its provider's diff, on the id the engine does not know yet)...
    const release = nicReleaseProvider();
    const before = plain(first.byName("app-nic-release").inputs) as NicReleaseInputs;
    assert.deepEqual(
      await release.diff!("id", before, { ...before, networkInterfaceId: UNKNOWN }),
      { changes: true, replaces: ["networkInterfaceId"], deleteBeforeReplace: true },
    );
    // ...and sits between them: the engine deletes dependents first, so the VM, then the release, then the NIC.
    const replaced = ["app-nic", "app-nic-release", "app-vm"];
    assert.deepEqual(deleteOrder(second, replaced), ["app-vm", "app-nic-release", "app-nic"]);
    // The release's delete is the pause: the reservation's 180 s and more, on the clock it is given.
    const clock = new FakeClock();
    const lines: string[] = [];
    await nicReleaseProvider(clock, (line) => lines.push(line)).delete!("id", before);
    assert.deepEqual(clock.sleeps, [NIC_HOLD_S * 1000]);
    assert.ok(NIC_HOLD_S > NIC_RESERVATION_S);
    assert.deepEqual(lines, [
      "waiting 190 s before the network interface is deleted: Azure keeps it reserved for 180 s after its VM is deleted (NicReservedForAnotherVm)",
    ]);
  });

  it("keeps the NIC's release as it is when only the VM is replaced", async () => {
    const { changes } = await twoRuns({ customData: "#!/bin/sh\ntrue\n" });
    assert.ok(changes.has("app-vm"));
    assert.ok(!changes.has("app-nic-release") && !changes.has("app-nic"));
  });

  const mutable: [string, Partial<VmWithReadySshArgs>][] = [
    ["vmSize", { vmSize: "Standard_D4s_v5" }],
    ["tags", { tags: { owner: "platform", cost: "ci" } }],
  ];
  for (const [what, change] of mutable) {
    it(`updates the VM in place when ${what} changes (Azure accepts it)`, async () => {
      const { changes } = await twoRuns(change);
      const vm = changes.get("app-vm") ?? [];
      assert.ok(vm.length > 0 && vm.every((c) => !c.replaces), JSON.stringify(vm));
    });
  }

  it("sends a frozen VM (an image build's) nothing and never waits for it again", async () => {
    const frozen = await twoRuns({ frozen: true });
    for (const name of ["app-vm", "app-ready"]) {
      assert.deepEqual(frozen.second.registration(name).ignoreChanges, ["*"], name);
    }
    const plainRun = await twoRuns({});
    for (const name of ["app-vm", "app-ready"]) {
      assert.deepEqual(plainRun.second.registration(name).ignoreChanges, [], name);
    }
  });

  it("changes only the readiness check when its limits change", async () => {
    const { changes } = await twoRuns({ readiness: { timeout: "30m" } });
    assert.deepEqual([...changes.keys()], ["app-ready"]);
  });
});

/** The table "What a change does on the next `pulumi up`" of docs/vm-with-ready-ssh.md: outcome by argument. */
function changeTable(): Map<string, string> {
  const text = readFileSync(join(__dirname, "../../../docs/vm-with-ready-ssh.md"), "utf8");
  const section = text.split("## What a change does on the next `pulumi up`")[1].split("\n## ")[0];
  const table = new Map<string, string>();
  for (const row of section.split("\n").filter((line) => line.startsWith("| `"))) {
    const [args, outcome] = row.split(" | ");
    const bold = /\*\*([^*]+)\*\*/.exec(outcome)?.[1];
    assert.ok(bold, `a row without its outcome in bold: ${row}`);
    for (const [, arg] of args.matchAll(/`([^`]+)`/g)) {
      assert.ok(!table.has(arg), `${arg} is in two rows`);
      table.set(arg, bold);
    }
  }
  return table;
}

/** Every argument of VmWithReadySshArgs, its objects' parts by path; `readiness.*` for the readiness options. */
function componentArguments(): string[] {
  const declarations = readDeclarations([join(__dirname, "../../../components/azure/args.ts")]);
  const parts: Record<string, string> = {
    ssh: "VmSshArgs",
    network: "VmNetworkArgs",
    osDisk: "VmWithReadySshArgs.osDisk",
  };
  return declarations.get("VmWithReadySshArgs")!.flatMap(({ name }) => {
    if (name === "readiness") return ["readiness.*"];
    const inner = parts[name];
    return inner ? declarations.get(inner)!.map((member) => `${name}.${member.name}`) : [name];
  });
}

/** The same key, encrypted with another passphrase (ssh-keygen -p). */
function reEncrypted(key: string, from: string, to: string): string {
  const dir = mkdtempSync(join(tmpdir(), "lifecycle-key-"));
  const file = join(dir, "key");
  try {
    writeFileSync(file, key, { mode: 0o600 });
    execFileSync("ssh-keygen", ["-q", "-p", "-P", from, "-N", to, "-f", file]);
    return readFileSync(file, "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const locked = sshKeygen("ed25519", { passphrase: "one", rounds: 16 });
/** An example change of each argument, and the program it changes when not the baseline. */
const EXAMPLES: Record<string, [Partial<VmWithReadySshArgs>, VmWithReadySshArgs?]> = {
  customData: [{ customData: "#cloud-config\npackages: [jq]\n" }],
  image: [{ image: "Debian:debian-12:12-gen2:latest" }],
  adminUsername: [{ adminUsername: "ops" }],
  "ssh.publicKey": [{ ssh: { privateKey: other.private, publicKey: other.public } }],
  "ssh.privateKey": [{ ssh: { privateKey: other.private } }],
  "ssh.passphrase": [
    { ssh: { privateKey: reEncrypted(locked.private, "one", "two"), passphrase: "two" } },
    { ...baseline, ssh: { privateKey: locked.private, passphrase: "one" } },
  ],
  computerName: [{ computerName: "app-2" }],
  hostKeyTrust: [{ hostKeyTrust: "first-seen" }],
  securityType: [{ securityType: "TrustedLaunch" }],
  "osDisk.sizeGb": [{ osDisk: { sizeGb: 64 } }],
  "osDisk.storageAccountType": [{ osDisk: { storageAccountType: "Premium_LRS" } }],
  "network.subnetId": [
    {
      network: {
        subnetId:
          "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub/subnets/b",
      },
    },
  ],
  "network.subnetAddressPrefix": [{ network: { subnetAddressPrefix: "10.0.1.0/24" } }],
  vmSize: [{ vmSize: "Standard_D4s_v5" }],
  tags: [{ tags: { owner: "platform", cost: "ci" } }],
  "network.publicIp": [{ network: { publicIp: true, allowedSshSourceCidrs: ["203.0.113.4/32"] } }],
  "network.allowedSshSourceCidrs": [{ network: { allowedSshSourceCidrs: ["10.0.0.0/8"] } }],
  "network.natGateway": [{ network: { natGateway: false } }],
  "network.vnetAddressSpace": [{ network: { vnetAddressSpace: ["10.0.0.0/16", "10.1.0.0/16"] } }],
  "readiness.*": [{ readiness: { level: "auth" } }],
  sshHost: [{ sshHost: "10.0.0.99" }],
  location: [{ location: "northeurope" }],
  resourceGroupName: [{ resourceGroupName: "rg-existing" }],
  frozen: [{ frozen: true }],
};

/** What two runs show, in the table's words. */
function outcomeOf({ changes, first, second }: Outcome, arg: string): string {
  const replaced = (name: string) => (changes.get(name) ?? []).some((c) => c.replaces);
  const names = (run: StackRun) => run.registered.map((r) => r.name);
  const added = names(second).filter((n) => !names(first).includes(n));
  const removed = names(first).filter((n) => !names(second).includes(n));
  const azure = second.registered.filter((r) => r.type.startsWith("azure-native:"));
  if (arg === "location" || arg === "resourceGroupName") {
    // azure-native's rule: a new location or resource group replaces the resource. Each gets the new one.
    const key = arg === "location" ? "location" : "resourceGroupName";
    // A subnet has no location of its own: it is in its VNet, which moves.
    const moved = azure.filter(
      (r) =>
        r.type !== "azure-native:resources:ResourceGroup" &&
        (key === "resourceGroupName" || r.type !== "azure-native:network:Subnet"),
    );
    const before = (name: string) => first.registered.find((r) => r.name === name)?.inputs[key];
    return moved.every(
      (r) => JSON.stringify(plain(r.inputs[key])) !== JSON.stringify(plain(before(r.name))),
    )
      ? "everything replaced"
      : "some resources kept";
  }
  if (replaced("app-subnet")) return "subnet, NIC and VM replaced";
  if (replaced("app-nic")) return "NIC and VM replaced";
  if (replaced("app-vm")) return "VM replaced";
  const azureChanged = [...changes.keys()].some((name) => name !== "app-ready");
  if (azureChanged || added.length > 0 || removed.length > 0) return "updated in place";
  if (changes.has("app-ready")) return "readiness only";
  return second.registration("app-vm").ignoreChanges.includes("*")
    ? "nothing changes"
    : "no change";
}

describe("docs/vm-with-ready-ssh.md's table of what a change does", () => {
  const table = changeTable();

  it("names every argument of VmWithReadySsh once", () => {
    assert.deepEqual([...table.keys()].sort(), componentArguments().sort());
  });

  for (const [arg, outcome] of table) {
    it(`${arg}: ${outcome}, as two runs show`, async () => {
      const example = EXAMPLES[arg];
      assert.ok(example, `no example change of ${arg} in this test`);
      const [change, from] = example;
      assert.equal(outcomeOf(await twoRuns(change, from), arg), outcome);
    });
  }
});
