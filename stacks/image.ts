// The `image` stack, the pipeline this project was born from: VM → ready (cloud-init done) → provision
// (a script, then Ansible when configured) → a reboot when an update asks for one, and ready on the new boot →
// clean capture (the build's secrets removed, deprovision) →
// deallocate and generalize → managed image (and, when configured, a Compute Gallery image version).
// Everything that defines the image forms a build identity; each build's resources carry it in their names,
// so a changed build is a new VM and a new chain, and an unchanged one touches nothing.
import * as compute from "@pulumi/azure-native/compute";
import * as resources from "@pulumi/azure-native/resources";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { VmWithReadySsh } from "../components/azure";
import { SshReadiness } from "../components/ssh-readiness";
import { DEFAULTS } from "../components/azure/args";
import { imageGeneration, parseImage } from "../components/azure/validate";
import { BuildStamp } from "./build-stamp";
import { stackConfig } from "./config";

/** The shell scripts of the pipeline, read from stacks/scripts (beside the compiled program's source). */
const SCRIPTS = resolve(__dirname, "../../stacks/scripts");
export function script(
  name: "capture-cleanup" | "provision-default" | "az-generalize" | "reboot-if-required",
): string {
  return readFileSync(join(SCRIPTS, `${name}.sh`), "utf8");
}

/**
 * Runs ansible-playbook against the VM with host key checking on: the key, the inventory and a known_hosts
 * file made from the component's outputs go to a private temp dir, removed afterwards.
 */
export const ANSIBLE_SCRIPT = `set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
umask 077
printf '%s\\n' "$SSH_PRIVATE_KEY" > "$dir/key"
printf '%s\\n' "$KNOWN_HOSTS_LINE" > "$dir/known_hosts"
printf '[image]\\n%s ansible_user=%s ansible_ssh_private_key_file=%s ansible_ssh_common_args="-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes"\\n' \\
  "$SSH_HOST" "$SSH_USER" "$dir/key" "$dir/known_hosts" > "$dir/inventory"
ANSIBLE_HOST_KEY_CHECKING=True ansible-playbook -i "$dir/inventory" "$PLAYBOOK"
`;

/** How the build VM waits: for cloud-init (image builders need apt free), up to 20 minutes. */
export const BUILD_READINESS = { level: "command", timeout: "20m" } as const;

/** The directory of Pulumi.yaml: relative paths in the stack's settings start there. */
function projectRoot(): string {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "Pulumi.yaml"))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

export interface ImageSettings {
  baseImage: string;
  vmSize: string;
  adminUsername: string;
  provisionScript: string;
  /** Absolute path of the Ansible playbook, if any. */
  playbook?: string;
  imageVersion?: string;
  gallery?: { name: string; imageName: string; majorMinor: string };
  /** The build VM's security type; a Trusted Launch VM is captured into the gallery only. */
  securityType: "Standard" | "TrustedLaunch";
  /** The base image's Hyper-V generation, which the image keeps. */
  generation: "V1" | "V2";
  /** `hyperVGeneration` as the stack's settings give it, if they do. */
  configuredGeneration?: "V1" | "V2";
}

/** The stack's image settings, checked: a mistake is named at preview, before anything is created. */
export function imageSettings(
  config: pulumi.Config,
  defaults: { vmSize?: string; adminUsername: string },
): ImageSettings {
  const playbookSetting = config.get("ansiblePlaybook");
  const playbook =
    playbookSetting === undefined
      ? undefined
      : isAbsolute(playbookSetting)
        ? playbookSetting
        : resolve(projectRoot(), playbookSetting);
  if (playbook !== undefined && !existsSync(playbook)) {
    throw new Error(
      `[ansiblePlaybook] ${playbookSetting} is not there (looked at ${playbook}; a relative path starts at Pulumi.yaml's directory)`,
    );
  }
  const gallery = config.getObject<{ name?: string; imageName?: string; version?: string }>(
    "gallery",
  );
  let gallerySettings: ImageSettings["gallery"];
  if (gallery !== undefined) {
    if (!gallery.name || !gallery.imageName)
      throw new Error(
        "[gallery] needs a name and an imageName (and optionally a version, Major.Minor)",
      );
    const majorMinor = gallery.version ?? "1.0";
    if (!/^\d{1,9}\.\d{1,9}$/.test(majorMinor)) {
      throw new Error(
        `[gallery.version] must be Major.Minor, like "1.0", got "${majorMinor}": the patch number comes from each build, so a rebuild never collides with a version that exists`,
      );
    }
    gallerySettings = { name: gallery.name, imageName: gallery.imageName, majorMinor };
  }
  const baseImage = config.get("baseImage") ?? DEFAULTS.image;
  const securityType = config.get("securityType") ?? "Standard";
  if (securityType !== "Standard" && securityType !== "TrustedLaunch") {
    throw new Error(`[securityType] must be "Standard" or "TrustedLaunch", got "${securityType}"`);
  }
  const configuredGeneration = config.get("hyperVGeneration");
  if (configuredGeneration !== undefined && !["V1", "V2"].includes(configuredGeneration)) {
    throw new Error(`[hyperVGeneration] must be "V1" or "V2", got "${configuredGeneration}"`);
  }
  const fromSku = imageGeneration(parseImage(baseImage));
  if (fromSku && configuredGeneration && fromSku !== configuredGeneration) {
    throw new Error(
      `[hyperVGeneration] is ${configuredGeneration}, but the base image ${baseImage} is ${fromSku} (its SKU says so): an image keeps its base image's generation`,
    );
  }
  const generation = (configuredGeneration ?? fromSku) as "V1" | "V2" | undefined;
  if (generation === undefined) {
    throw new Error(
      `[hyperVGeneration] is needed: the base image ${baseImage} does not say its generation in its SKU. Ask Azure (az vm image show --urn ${baseImage} --query hyperVGeneration) and set it: pulumi config set hyperVGeneration V2`,
    );
  }
  if (securityType === "TrustedLaunch") {
    if (generation !== "V2") {
      throw new Error(
        `[securityType] TrustedLaunch needs a Generation 2 base image, and ${baseImage} is ${generation}`,
      );
    }
    if (gallerySettings === undefined) {
      throw new Error(
        "[securityType] TrustedLaunch: Azure captures a Trusted Launch VM only into a Compute Gallery, not a managed image. Set [gallery] (name and imageName) too",
      );
    }
  }
  return {
    securityType,
    generation,
    configuredGeneration: configuredGeneration as "V1" | "V2" | undefined,
    baseImage,
    vmSize: defaults.vmSize ?? DEFAULTS.vmSize,
    adminUsername: defaults.adminUsername,
    provisionScript: config.get("provisionScript") ?? script("provision-default"),
    playbook,
    imageVersion: config.get("imageVersion"),
    gallery: gallerySettings,
  };
}

const sha256 = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

/**
 * The build identity: a hash of everything that defines the image (base image, VM size, admin user,
 * provisioning script, the playbook's content, how the VM is waited for and captured, `imageVersion`, the
 * security type and a generation set by hand).
 * Not in it: where SSH may come from, tags, the gallery's names.
 */
export function buildIdentity(settings: ImageSettings): {
  id: string;
  parts: Record<string, unknown>;
} {
  const parts = {
    baseImage: settings.baseImage,
    vmSize: settings.vmSize,
    adminUsername: settings.adminUsername,
    provisionScript: sha256(settings.provisionScript),
    playbook: settings.playbook === undefined ? null : sha256(readFileSync(settings.playbook)),
    readiness: BUILD_READINESS,
    capture: sha256(script("capture-cleanup") + script("az-generalize")),
    // The reboot step after provisioning: a build made before it has none, and a step added to it would run on
    // a VM that is generalized by then. So it is part of the build: a stack built before builds once more.
    reboot: sha256(script("reboot-if-required")),
    imageVersion: settings.imageVersion ?? null,
    // Only when not what every build was before these settings: an existing stack keeps its build.
    ...(settings.securityType === "Standard" ? {} : { securityType: settings.securityType }),
    ...(settings.configuredGeneration ? { hyperVGeneration: settings.configuredGeneration } : {}),
  };
  return { id: sha256(JSON.stringify(parts)).slice(0, 8), parts };
}

/** What sets a gallery definition apart from the Standard V2 one: "trustedlaunch-v2", "v1"; none for that one. */
export function definitionKind(settings: ImageSettings): string | undefined {
  const security = settings.securityType === "TrustedLaunch" ? "trustedlaunch-" : "";
  const kind = `${security}${settings.generation.toLowerCase()}`;
  return kind === "v2" ? undefined : kind;
}

export function imageProgram() {
  const base = stackConfig();
  const settings = imageSettings(base.config, {
    vmSize: base.vmSize,
    adminUsername: base.adminUsername,
  });
  const { id } = buildIdentity(settings);
  const build = `image-${id}`;
  const stackTags = { stack: pulumi.getStack(), program: "image" };
  const tags = { ...stackTags, build: id };

  // What outlives a build: the resource group, and the gallery with its image definition.
  const group = new resources.ResourceGroup("image-rg", {
    location: base.location,
    tags: stackTags,
  });

  const vm = new VmWithReadySsh(build, {
    location: base.location,
    resourceGroupName: group.name,
    adminUsername: settings.adminUsername,
    vmSize: settings.vmSize,
    image: settings.baseImage,
    securityType: settings.securityType,
    ssh: base.sshPrivateKey ? { privateKey: base.sshPrivateKey } : undefined,
    network: { publicIp: true, allowedSshSourceCidrs: base.allowedSshSourceCidrs },
    readiness: BUILD_READINESS,
    // The VM is generalized at the end: Azure refuses any update to it, even a tag, even after a refresh, and
    // it no longer answers SSH.
    frozen: true,
    tags,
  });

  // Each step of a build runs once: a later change of its inputs (a new admin key, an upgrade of
  // @pulumi/command) must not run it again on a VM that is deprovisioned by then. A new build has new names.
  const once = { ignoreChanges: ["*"] };
  // Before anything runs on the VM: the Azure CLI must be able to generalize it in its subscription, or the
  // VM would be deprovisioned and then stuck.
  const azCheck = new command.local.Command(
    `${build}-az-check`,
    {
      create: script("az-generalize"),
      interpreter: ["/bin/sh", "-c"],
      environment: { VM_ID: vm.virtualMachine.id, CHECK_ONLY: "1" },
    },
    once,
  );
  const provision = new command.remote.Command(
    `${build}-provision`,
    { connection: vm.connection, create: settings.provisionScript },
    { dependsOn: [vm.ready, azCheck], ...once },
  );
  const ansible = settings.playbook
    ? new command.local.Command(
        `${build}-ansible`,
        {
          create: ANSIBLE_SCRIPT,
          interpreter: ["/bin/sh", "-c"],
          environment: {
            PLAYBOOK: settings.playbook,
            SSH_HOST: vm.sshHost,
            SSH_USER: vm.adminUsername,
            SSH_PRIVATE_KEY: vm.adminPrivateKey,
            KNOWN_HOSTS_LINE: vm.knownHostsLine.apply((line) => line ?? ""),
          },
        },
        { dependsOn: [provision], ...once },
      )
    : undefined;
  // An update that asks for a reboot (a new kernel) gets one before the capture: the image then boots what was
  // installed, and the capture runs on the new boot, once its start-up is done. No reboot, no wait.
  const reboot = new command.remote.Command(
    `${build}-reboot`,
    { connection: vm.connection, create: script("reboot-if-required") },
    { dependsOn: [ansible ?? provision], ...once },
  );
  const back = new SshReadiness(
    `${build}-back`,
    {
      host: vm.sshHost,
      username: vm.adminUsername,
      privateKey: vm.adminPrivateKey,
      // The key the first wait verified: a reboot keeps the host keys.
      hostKeyPin: vm.hostKey.apply((key) => key!),
      ...BUILD_READINESS,
      afterBoot: reboot.stdout.apply((out) => out.trim()),
    },
    { dependsOn: [reboot], ...once },
  );
  // The last command on the VM: afterwards its admin user is gone.
  const capture = new command.remote.Command(
    `${build}-capture`,
    { connection: vm.connection, create: "sudo sh -s", stdin: script("capture-cleanup") },
    { dependsOn: [back], ...once },
  );
  const generalize = new command.local.Command(
    `${build}-generalize`,
    {
      create: script("az-generalize"),
      interpreter: ["/bin/sh", "-c"],
      environment: { VM_ID: vm.virtualMachine.id },
    },
    { dependsOn: [capture], ...once },
  );
  // Images are kept when a new build replaces them (and go with the resource group on destroy). Azure makes no
  // managed image of a Trusted Launch VM: that one goes to the gallery only.
  const image =
    settings.securityType === "Standard"
      ? new compute.Image(
          `${build}-managed`,
          {
            resourceGroupName: group.name,
            location: base.location,
            hyperVGeneration: settings.generation,
            sourceVirtualMachine: { id: vm.virtualMachine.id },
            tags,
          },
          { dependsOn: [generalize], retainOnDelete: true },
        )
      : undefined;

  let galleryImageVersionId: pulumi.Output<string> | undefined;
  let galleryImageVersion: pulumi.Output<string> | undefined;
  if (settings.gallery) {
    const { name, imageName, majorMinor } = settings.gallery;
    // Kept on destroy too: Azure refuses to delete a definition that still holds versions; the resource
    // group's deletion removes them all.
    const keep = { retainOnDelete: true };
    const galleryResource = new compute.Gallery(
      "image-gallery",
      {
        resourceGroupName: group.name,
        location: base.location,
        galleryName: name,
        tags: stackTags,
      },
      keep,
    );
    // A definition's generation and security features cannot change: other ones make another definition,
    // named from them. Standard V2, what every definition was before these settings, keeps its names.
    const kind = definitionKind(settings);
    const definition = new compute.GalleryImage(
      kind ? `image-definition-${kind}` : "image-definition",
      {
        resourceGroupName: group.name,
        location: base.location,
        galleryName: galleryResource.name,
        galleryImageName: kind ? `${imageName}-${kind}` : imageName,
        osType: "Linux",
        osState: "Generalized",
        hyperVGeneration: settings.generation,
        features:
          settings.securityType === "TrustedLaunch"
            ? [{ name: "SecurityType", value: "TrustedLaunch" }]
            : undefined,
        identifier: {
          publisher: "vm-with-ready-ssh",
          offer: imageName,
          sku: kind ? `generalized-${kind}` : "generalized",
        },
        tags: stackTags,
      },
      keep,
    );
    const stamp = new BuildStamp(`${build}-stamp`, { build: id });
    galleryImageVersion = pulumi.interpolate`${majorMinor}.${stamp.stamp}`;
    galleryImageVersionId = new compute.GalleryImageVersion(
      `${build}-version`,
      {
        resourceGroupName: group.name,
        location: base.location,
        galleryName: galleryResource.name,
        galleryImageName: definition.name,
        galleryImageVersionName: galleryImageVersion,
        storageProfile: { source: { virtualMachineId: vm.virtualMachine.id } },
        publishingProfile: { targetRegions: [{ name: base.location }] },
        tags,
      },
      { dependsOn: [generalize], retainOnDelete: true },
    ).id;
  }

  return {
    buildId: pulumi.output(id),
    imageId: image?.id,
    galleryImageVersion,
    galleryImageVersionId,
    hostKey: vm.hostKey,
    provisionOutput: provision.stdout,
  };
}
