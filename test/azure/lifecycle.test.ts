// VmWithReadySsh on the second `pulumi up`: the program runs twice under Pulumi's mocks, the key pairs kept
// as a stack's state keeps them, and the VM's inputs of the two runs are compared the way the engine applies
// `replaceOnChanges` to a provider's diff: every change Azure refuses must fall under a replace path, every
// change it accepts must not, and an unchanged program must change nothing.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { VmWithReadySsh } from "../../components/azure";
import type { VmWithReadySshArgs } from "../../components/azure/args";
import { ed25519 } from "../support/keys";
import { isSecret, value } from "../support/pulumi-mocks";
import { mockStack, type KeptState, type StackRun } from "../support/stack-mocks";

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

interface Outcome {
  /** Per resource name: the changed input paths, and whether replaceOnChanges covers each. */
  changes: Map<string, { path: string; replaces: boolean }[]>;
  first: StackRun;
  second: StackRun;
}

async function twoRuns(change: Partial<VmWithReadySshArgs>): Promise<Outcome> {
  const kept: KeptState = new Map();
  const first = await up(baseline, kept);
  const second = await up({ ...baseline, ...change }, kept);
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

  it("replaces the VM and its NIC, both deleted first, when the subnet changes", async () => {
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
    assert.equal(nic.deleteBeforeReplace, true);
    // A new NIC is a new id in the VM's network profile: the VM is replaced too, and deleted before the NIC.
    const vm = second.registration("app-vm");
    assert.ok(vm.dependencies.includes(nic.urn));
    assert.ok(
      vm.replaceOnChanges.some((pattern) =>
        contains(pattern, ["networkProfile", "networkInterfaces", 0, "id"]),
      ),
    );
  });

  const mutable: [string, Partial<VmWithReadySshArgs>][] = [
    ["vmSize", { vmSize: "Standard_D4s_v5" }],
    ["tags", { tags: { owner: "platform", cost: "ci" } }],
    ["the OS disk type", { osDisk: { storageAccountType: "Premium_LRS" } }],
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
