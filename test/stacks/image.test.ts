// The image stack under mocks: the pipeline's order comes from registered dependencies, not from names.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { imageProgram, ANSIBLE_SCRIPT, DEPROVISION } from "../../stacks/image";
import { isSecret } from "../support/pulumi-mocks";
import { mockStack, settle, type StackRun } from "../support/stack-mocks";

describe("image stack", () => {
  let run: StackRun;
  before(async () => {
    run = await mockStack("image", {
      allowedSshSourceCidrs: JSON.stringify(["203.0.113.4/32"]),
      ansiblePlaybook: "playbook.yml",
      gallery: JSON.stringify({ name: "images", imageName: "web", version: "1.0.0" }),
    });
    await settle(imageProgram());
  });

  it("chains managed image ← generalize ← deprovision ← ansible ← provisioning ← readiness ← VM", () => {
    const chain = [
      "image-managed",
      "image-generalize",
      "image-deprovision",
      "image-ansible",
      "image-provision",
      "image-ready",
      "image-vm",
    ];
    for (let i = 0; i + 1 < chain.length; i++) {
      assert.ok(
        run.registration(chain[i]).dependencies.includes(run.registration(chain[i + 1]).urn),
        `${chain[i]} depends directly on ${chain[i + 1]}`,
      );
    }
    assert.ok(run.dependsOn("image-managed", "image-vm"));
    assert.ok(
      run.dependsOn("image-version", "image-generalize"),
      "the gallery version also waits for generalize",
    );
  });

  it("waits for cloud-init before provisioning (level command)", () => {
    const ready = run.byName("image-ready").inputs;
    assert.deepEqual([ready.level, ready.timeout, ready.host], ["command", "20m", "20.1.2.3"]);
  });

  it("runs Ansible with host key checking on, from the component's outputs, the key secret", () => {
    const inputs = run.byName("image-ansible").inputs;
    assert.equal(inputs.create, ANSIBLE_SCRIPT);
    assert.match(ANSIBLE_SCRIPT, /StrictHostKeyChecking=yes/);
    assert.match(ANSIBLE_SCRIPT, /ANSIBLE_HOST_KEY_CHECKING=True/);
    assert.ok(isSecret(inputs.environment), "the environment holds the private key");
    const env = (inputs.environment as { value: Record<string, string> }).value;
    assert.equal(env.SSH_HOST, "20.1.2.3");
    assert.equal(env.KNOWN_HOSTS_LINE.split(" ")[0], "20.1.2.3");
    assert.equal(env.PLAYBOOK, "playbook.yml");
  });

  it("deprovisions with waagent, then deallocates and generalizes with the Azure CLI", () => {
    const deprovision = run.byName("image-deprovision").inputs;
    assert.equal(deprovision.create, DEPROVISION);
    const generalize = String(run.byName("image-generalize").inputs.create);
    assert.match(
      generalize,
      /^az vm deallocate --resource-group image-rg-a1b2c3 --name \S+ && az vm generalize /,
    );
  });

  it("captures a V2 managed image from the VM, and a gallery image version", () => {
    const image = run.byName("image-managed").inputs;
    assert.deepEqual(
      [image.hyperVGeneration, image.sourceVirtualMachine],
      ["V2", { id: "/subscriptions/sub/image-vm" }],
    );
    const version = run.byName("image-version").inputs;
    assert.deepEqual(version.storageProfile, {
      source: { virtualMachineId: "/subscriptions/sub/image-vm" },
    });
    assert.equal(run.byName("image-definition").inputs.osState, "Generalized");
  });
});
