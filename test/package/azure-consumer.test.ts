// This package in a Pulumi project with @pulumi/azure-native: VmWithReadySsh type-checks with the project's
// own azure-native types (strict, skipLibCheck off, Pulumi's default tsconfig) and runs under Pulumi's mocks;
// every provider it stores requires only the package's stable entry point.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  PULUMI_TEMPLATE_TSCONFIG,
  pulumiProjectDependencies,
  scratchProject,
  type ScratchProject,
} from "../support/consumer";

const PROGRAM = `
import * as compute from "@pulumi/azure-native/compute";
import { VmWithReadySsh } from "vm-with-ready-ssh";

export function build(): { vm: VmWithReadySsh; image: compute.Image } {
  const vm = new VmWithReadySsh("vm", { location: "westeurope", adminUsername: "azureuser" });
  const image = new compute.Image("image", {
    resourceGroupName: vm.resourceGroupName,
    sourceVirtualMachine: { id: vm.virtualMachine.id },
  }, { dependsOn: [vm.ready] });
  return { vm, image };
}
`;

const RUN_UNDER_MOCKS = `
const pulumi = require("@pulumi/pulumi");
(async () => {
  const registered = [];
  await pulumi.runtime.setMocks({
    newResource: (args) => {
      registered.push({ type: args.type, provider: args.inputs.__provider });
      const state = { ...args.inputs };
      if (args.type === "azure-native:compute:VirtualMachine") state.vmId = "vm-id";
      return { id: args.name + "-id", state };
    },
    call: () => ({}),
  }, "consumer", "test");
  const { vm, image } = require("./bin/program.js").build();
  await new Promise((resolve) => pulumi.all([vm.urn, image.urn, vm.ready.urn]).apply(resolve));
  process.stdout.write(JSON.stringify(registered));
})().catch((error) => { console.error(error); process.exit(1); });
`;

describe("in a Pulumi project with @pulumi/azure-native", () => {
  let project: ScratchProject;
  let registered: { type: string; provider?: string }[] = [];
  /** The program's compile: "ok", or tsc's errors (emitting type-checks too: tsc fails on any error). */
  let compiled: string;

  before(async () => {
    project = scratchProject("azure-consumer", pulumiProjectDependencies("@pulumi/azure-native"));
    project.write("program.ts", PROGRAM);
    project.write("run.js", RUN_UNDER_MOCKS);
    project.write("tsconfig.json", JSON.stringify(PULUMI_TEMPLATE_TSCONFIG));
    compiled = await project
      .node(join(project.dir, "node_modules/typescript/bin/tsc"), ["-p", "tsconfig.json"])
      .then(
        () => "ok",
        (error: Error & { stdout?: string }) => `${error.message}\n${error.stdout ?? ""}`,
      );
    if (compiled === "ok")
      registered = JSON.parse(await project.node("run.js")) as typeof registered;
  });
  after(() => project.dispose());

  it("type-checks VmWithReadySsh with azure-native's own types under Pulumi's default tsconfig", () => {
    assert.equal(compiled, "ok");
  });

  it("makes the VM, its network, its key pairs and the readiness check", () => {
    const types = registered.map((r) => r.type);
    for (const type of [
      "vm-with-ready-ssh:azure:VmWithReadySsh",
      "azure-native:compute:VirtualMachine",
      "azure-native:network:NetworkInterface",
      "azure-native:compute:Image",
    ])
      assert.ok(types.includes(type), type);
    assert.ok(types.some((t) => t.endsWith(":SshReadiness")));
    assert.ok(types.some((t) => t.endsWith(":SshKeyPair")));
  });

  it("stores providers that require only the package's stable entry point", () => {
    const stored = registered.filter((r) => r.provider !== undefined);
    assert.ok(stored.length >= 2);
    for (const { type, provider } of stored) {
      const requires = [...provider!.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
      assert.deepEqual([...new Set(requires)], ["vm-with-ready-ssh/dynamic-providers"], type);
    }
  });
});
