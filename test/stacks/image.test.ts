// The image stack under mocks: the pipeline's order from registered dependencies, and the build identity over
// two runs of the program (a stack's second `pulumi up`), with the stack's state kept between them.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import {
  ANSIBLE_SCRIPT,
  buildIdentity,
  imageProgram,
  imageSettings,
  script,
} from "../../stacks/image";
import { isSecret } from "../support/pulumi-mocks";
import { mockStack, settle, type KeptState, type StackRun } from "../support/stack-mocks";
import { scratchDir } from "../support/scratch";

const GALLERY = JSON.stringify({ name: "images", imageName: "web", version: "1.0" });

function playbook(content: string): string {
  const file = join(scratchDir("image-stack-"), "playbook.yml");
  writeFileSync(file, content);
  return file;
}

/** One `pulumi up` of the image stack; `kept` carries the dynamic resources' state from an earlier one. */
async function build(config: Record<string, string>, kept?: KeptState) {
  const run = await mockStack(
    "image",
    { allowedSshSourceCidrs: JSON.stringify(["203.0.113.4/32"]), ...config },
    kept,
  );
  const outputs = imageProgram();
  await settle(outputs);
  const id = await new Promise<string>((resolve) => outputs.buildId.apply(resolve));
  return { run, id, outputs, name: (suffix: string) => `image-${id}-${suffix}` };
}

describe("image stack", () => {
  it("chains managed image ← generalize ← capture ← back ← reboot ← ansible ← provisioning ← readiness ← VM", async () => {
    const { run, name } = await build({
      ansiblePlaybook: playbook("- hosts: all\n"),
      gallery: GALLERY,
    });
    const chain = [
      "managed",
      "generalize",
      "capture",
      "back",
      "reboot",
      "ansible",
      "provision",
      "ready",
      "vm",
    ].map(name);
    for (let i = 0; i + 1 < chain.length; i++) {
      assert.ok(
        run.registration(chain[i]).dependencies.includes(run.registration(chain[i + 1]).urn),
        `${chain[i]} depends directly on ${chain[i + 1]}`,
      );
    }
    assert.ok(
      run.dependsOn(name("version"), name("generalize")),
      "the gallery version waits for generalize",
    );
    // Nothing runs on the VM before the Azure CLI has shown it can generalize it.
    assert.ok(
      run
        .registration(name("provision"))
        .dependencies.includes(run.registration(name("az-check")).urn),
    );
  });

  it("waits for cloud-init before provisioning (level command)", async () => {
    const { run, name } = await build({});
    const ready = run.byName(name("ready")).inputs;
    assert.deepEqual([ready.level, ready.timeout, ready.host], ["command", "20m", "20.1.2.3"]);
  });

  it("runs Ansible with host key checking on, from the component's outputs, the key secret", async () => {
    const file = playbook("- hosts: all\n");
    const { run, name } = await build({ ansiblePlaybook: file });
    const inputs = run.byName(name("ansible")).inputs;
    assert.equal(inputs.create, ANSIBLE_SCRIPT);
    assert.match(ANSIBLE_SCRIPT, /StrictHostKeyChecking=yes/);
    assert.match(ANSIBLE_SCRIPT, /ANSIBLE_HOST_KEY_CHECKING=True/);
    assert.ok(isSecret(inputs.environment), "the environment holds the private key");
    const env = (inputs.environment as { value: Record<string, string> }).value;
    assert.equal(env.SSH_HOST, "20.1.2.3");
    assert.equal(env.KNOWN_HOSTS_LINE.split(" ")[0], "20.1.2.3");
    assert.equal(env.PLAYBOOK, file);
  });

  it("finds a relative playbook from Pulumi.yaml's directory, and names a missing one at preview", async () => {
    const { run, name } = await build({ ansiblePlaybook: "stacks/Pulumi.image.yaml" });
    const env = (
      run.byName(name("ansible")).inputs.environment as { value: Record<string, string> }
    ).value;
    assert.equal(env.PLAYBOOK, join(process.cwd(), "stacks/Pulumi.image.yaml"));
    await assert.rejects(build({ ansiblePlaybook: "no-such-playbook.yml" }), {
      message: `[ansiblePlaybook] no-such-playbook.yml is not there (looked at ${join(process.cwd(), "no-such-playbook.yml")}; a relative path starts at Pulumi.yaml's directory)`,
    });
  });

  it("captures with the cleanup script, then deallocates and generalizes by the VM's full resource ID", async () => {
    const { run, name } = await build({});
    const capture = run.byName(name("capture")).inputs;
    assert.deepEqual([capture.create, capture.stdin], ["sudo sh -s", script("capture-cleanup")]);
    for (const step of ["az-check", "generalize"]) {
      const inputs = run.byName(name(step)).inputs;
      assert.equal(inputs.create, script("az-generalize"));
      assert.equal(
        (inputs.environment as Record<string, string>).VM_ID,
        `/subscriptions/sub/${name("vm")}`,
      );
    }
    assert.equal(
      (run.byName(name("az-check")).inputs.environment as Record<string, string>).CHECK_ONLY,
      "1",
    );
    assert.match(
      script("az-generalize"),
      /az vm deallocate --ids "\$VM_ID"\naz vm generalize --ids "\$VM_ID"/,
    );
  });

  it("captures a V2 managed image and a gallery version Major.Minor.<build stamp>, both kept when replaced", async () => {
    const started = Math.floor((Date.now() - Date.UTC(2020, 0, 1)) / 1000);
    const { run, id, outputs, name } = await build({ gallery: GALLERY });
    const ended = Math.ceil((Date.now() - Date.UTC(2020, 0, 1)) / 1000);
    const image = run.registration(name("managed"));
    assert.deepEqual(
      [
        run.byName(name("managed")).inputs.hyperVGeneration,
        run.byName(name("managed")).inputs.sourceVirtualMachine,
      ],
      ["V2", { id: `/subscriptions/sub/${name("vm")}` }],
    );
    const stamp = run.byName(name("stamp"));
    const version = run.byName(name("version")).inputs;
    assert.equal(stamp.inputs.build, id);
    // The patch number is the build's start, in seconds since 2020: later builds get higher versions.
    const versionName = await new Promise<string | undefined>((resolve) =>
      outputs.galleryImageVersion!.apply(resolve),
    );
    assert.equal(version.galleryImageVersionName, versionName);
    const patch = Number(versionName!.split(".")[2]);
    assert.ok(started <= patch && patch <= ended, `${patch} in [${started}, ${ended}]`);
    assert.match(String(version.galleryImageVersionName), /^1\.0\.\d+$/);
    assert.deepEqual(version.storageProfile, {
      source: { virtualMachineId: `/subscriptions/sub/${name("vm")}` },
    });
    assert.equal(run.byName("image-definition").inputs.osState, "Generalized");
    for (const kept of [
      image,
      run.registration(name("version")),
      run.registration("image-gallery"),
      run.registration("image-definition"),
    ]) {
      assert.equal(kept.retainOnDelete, true, kept.name);
    }
  });

  it("never sends the generalized VM an update, never waits for it again, runs each step once", async () => {
    const { run, name } = await build({ ansiblePlaybook: playbook("- hosts: all\n") });
    for (const step of [
      "vm",
      "ready",
      "az-check",
      "provision",
      "ansible",
      "capture",
      "generalize",
    ]) {
      assert.deepEqual(run.registration(name(step)).ignoreChanges, ["*"], step);
    }
    // What must follow the program (the network rule, the image) does.
    assert.deepEqual(run.registration(name("nsg")).ignoreChanges, []);
    assert.deepEqual(run.registration(name("managed")).ignoreChanges, []);
  });

  it("builds on a Standard VM by default, said explicitly, with the definition every build had", async () => {
    const { run, name, id } = await build({ gallery: GALLERY });
    assert.deepEqual(run.byName(name("vm")).inputs.securityProfile, { securityType: "Standard" });
    const definition = run.byName("image-definition").inputs;
    assert.deepEqual(
      [definition.galleryImageName, definition.hyperVGeneration, definition.features],
      ["web", "V2", undefined],
    );
    // The build identity is made of what it was made of before these settings: an existing stack keeps it.
    const settings = imageSettings(new pulumi.Config("vm-with-ready-ssh"), {
      adminUsername: "azureuser",
    });
    assert.deepEqual(Object.keys(buildIdentity(settings).parts), [
      "baseImage",
      "vmSize",
      "adminUsername",
      "provisionScript",
      "playbook",
      "readiness",
      "capture",
      "reboot",
      "imageVersion",
    ]);
    assert.equal(buildIdentity(settings).id, id);
  });

  it("builds from a Trusted Launch VM into the gallery only, under a definition of its own", async () => {
    const standard = await build({ gallery: GALLERY });
    const { run, name, id, outputs } = await build({
      gallery: GALLERY,
      securityType: "TrustedLaunch",
    });
    assert.notEqual(id, standard.id, "another VM: another build");
    assert.deepEqual(run.byName(name("vm")).inputs.securityProfile, {
      securityType: "TrustedLaunch",
      uefiSettings: { secureBootEnabled: true, vTpmEnabled: true },
    });
    // Azure makes no managed image of a Trusted Launch VM.
    assert.ok(!run.registered.some((r) => r.name === name("managed")));
    assert.equal(
      await new Promise((resolve) => pulumi.output(outputs.imageId).apply(resolve)),
      undefined,
    );
    const definition = run.byName("image-definition-trustedlaunch-v2").inputs;
    assert.deepEqual(
      [
        definition.galleryImageName,
        definition.hyperVGeneration,
        definition.features,
        (definition.identifier as Record<string, string>).sku,
      ],
      [
        "web-trustedlaunch-v2",
        "V2",
        [{ name: "SecurityType", value: "TrustedLaunch" }],
        "generalized-trustedlaunch-v2",
      ],
    );
    assert.ok(
      run.registered.some((r) => r.name === name("version")),
      "a gallery image version",
    );
  });

  it("says at preview that Trusted Launch needs the gallery and a Generation 2 base image", async () => {
    await assert.rejects(build({ securityType: "TrustedLaunch" }), {
      message:
        "[securityType] TrustedLaunch: Azure captures a Trusted Launch VM only into a Compute Gallery, not a managed image. Set [gallery] (name and imageName) too",
    });
    await assert.rejects(
      build({
        securityType: "TrustedLaunch",
        gallery: GALLERY,
        baseImage: "Canonical:ubuntu-24_04-lts:server-gen1:latest",
      }),
      {
        message:
          "[securityType] TrustedLaunch needs a Generation 2 base image, and Canonical:ubuntu-24_04-lts:server-gen1:latest is V1",
      },
    );
  });

  it("takes the generation from the base image: a Generation 1 image is a V1 image, in a V1 definition", async () => {
    const { run, name } = await build({
      gallery: GALLERY,
      baseImage: "Canonical:ubuntu-24_04-lts:server-gen1:latest",
    });
    assert.equal(run.byName(name("managed")).inputs.hyperVGeneration, "V1");
    const definition = run.byName("image-definition-v1").inputs;
    assert.deepEqual([definition.galleryImageName, definition.hyperVGeneration], ["web-v1", "V1"]);
  });

  it("asks for the generation when the base image's SKU does not say it, and checks it when it does", async () => {
    const debian = "Debian:debian-12:12:latest";
    await assert.rejects(build({ baseImage: debian }), {
      message: `[hyperVGeneration] is needed: the base image ${debian} does not say its generation in its SKU. Ask Azure (az vm image show --urn ${debian} --query hyperVGeneration) and set it: pulumi config set hyperVGeneration V2`,
    });
    const { run, name } = await build({ baseImage: debian, hyperVGeneration: "V1" });
    assert.equal(run.byName(name("managed")).inputs.hyperVGeneration, "V1");
    await assert.rejects(build({ hyperVGeneration: "V1" }), {
      message:
        "[hyperVGeneration] is V1, but the base image Canonical:ubuntu-24_04-lts:server:latest is V2 (its SKU says so): an image keeps its base image's generation",
    });
  });

  it("reboots when an update asks for it, and captures only on the new boot, once it is started", async () => {
    const { run, name } = await build({});
    const reboot = run.byName(name("reboot")).inputs;
    assert.equal(reboot.create, script("reboot-if-required"));
    const back = run.byName(name("back")).inputs;
    // The reboot step prints the boot it leaves; the mocks' command prints nothing: no reboot, no constraint.
    assert.deepEqual([back.level, back.timeout, back.afterBoot], ["command", "20m", ""]);
    // Pinned to the key the first wait verified.
    assert.match(String(back.hostKeyPin), /^ssh-ed25519 AAAA\S+$/);
    for (const step of ["reboot", "back"])
      assert.deepEqual(run.registration(name(step)).ignoreChanges, ["*"], step);
    // The script reboots only when asked to, a few seconds later, and prints the boot id first.
    const text = script("reboot-if-required");
    assert.match(
      text,
      /if \[ -e \/var\/run\/reboot-required \]; then\n {2}cat \/proc\/sys\/kernel\/random\/boot_id\n {2}sudo systemd-run --on-active=5 /,
    );
  });

  it("refuses a three-part gallery version at preview: the patch number is the build's", async () => {
    await assert.rejects(
      build({ gallery: JSON.stringify({ name: "images", imageName: "web", version: "1.0.0" }) }),
      {
        message:
          '[gallery.version] must be Major.Minor, like "1.0", got "1.0.0": the patch number comes from each build, so a rebuild never collides with a version that exists',
      },
    );
  });
});

describe("image stack on the second pulumi up", () => {
  /** Resource names and plain inputs of a run, for comparing two runs. */
  function snapshot(run: StackRun): Map<string, string> {
    return new Map(
      run.registered.map((r) => [r.name, JSON.stringify({ ...r.inputs, __provider: undefined })]),
    );
  }

  it("touches nothing when nothing changed: same names, same inputs, same version", async () => {
    const kept: KeptState = new Map();
    const playbookFile = playbook("- hosts: all\n");
    const config = { ansiblePlaybook: playbookFile, gallery: GALLERY };
    const first = await build(config, kept);
    const second = await build(config, kept);
    assert.equal(second.id, first.id);
    assert.deepEqual(snapshot(second.run), snapshot(first.run));
  });

  const changes: [string, Record<string, string>, (file: string) => void][] = [
    ["the provisioning script", { provisionScript: "sudo apt-get install -y nginx" }, () => {}],
    [
      "the playbook's content (same path)",
      {},
      (file) => writeFileSync(file, "- hosts: all\n  tasks: []\n"),
    ],
    ["the VM size", { vmSize: "Standard_D4s_v5" }, () => {}],
    [
      "the base image",
      { baseImage: "Canonical:ubuntu-24_04-lts:server:24.04.202501010" },
      () => {},
    ],
    ["imageVersion", { imageVersion: "2" }, () => {}],
  ];
  for (const [what, change, edit] of changes) {
    it(`builds a new image from a new VM when ${what} changes, and keeps what outlives a build`, async () => {
      const kept: KeptState = new Map();
      const file = playbook("- hosts: all\n");
      const base = { ansiblePlaybook: file, gallery: GALLERY };
      const first = await build(base, kept);
      edit(file);
      const second = await build({ ...base, ...change }, kept);
      assert.notEqual(second.id, first.id);
      const names = (run: StackRun) => new Set(run.registered.map((r) => r.name));
      const before = names(first.run);
      const after = names(second.run);
      // Every resource of the build chain is new, the VM's host keys and the version's stamp included ...
      const perBuild = [...after].filter((n) => n.startsWith(`image-${second.id}`));
      assert.ok(perBuild.length >= 15, perBuild.join(", "));
      for (const n of perBuild) assert.ok(!before.has(n), `${n} is new`);
      assert.ok(after.has(second.name("host-key-rsa")) && after.has(second.name("stamp")));
      assert.notEqual(
        (second.run.byName(second.name("ready")).inputs.hostKeyPin as string[])[0],
        (first.run.byName(first.name("ready")).inputs.hostKeyPin as string[])[0],
        "the new VM has new host keys",
      );
      // ... and the old chain is no longer in the program (Pulumi deletes it after the new one is up;
      // images and versions are retained), while the group, gallery and definition stay.
      assert.ok(
        [...before].filter((n) => n.startsWith(`image-${first.id}`)).every((n) => !after.has(n)),
      );
      for (const stable of ["image-rg", "image-gallery", "image-definition"]) {
        assert.equal(snapshot(second.run).get(stable), snapshot(first.run).get(stable), stable);
      }
    });
  }

  it("keeps the build when only where SSH may come from changes", async () => {
    const kept: KeptState = new Map();
    const first = await build({}, kept);
    const second = await build(
      { allowedSshSourceCidrs: JSON.stringify(["198.51.100.7/32"]) },
      kept,
    );
    assert.equal(second.id, first.id);
    const changed = [...snapshot(second.run)].filter(
      ([n, inputs]) => snapshot(first.run).get(n) !== inputs,
    );
    assert.deepEqual(
      changed.map(([n]) => n),
      [second.name("nsg")],
    );
  });
});
