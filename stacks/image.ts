// The `image` stack, the pipeline this project was born from: VM → ready (cloud-init done) → provision
// (a script, then Ansible when configured) → deprovision → deallocate and generalize → managed image
// (and, when configured, a Compute Gallery image version). Each step depends on the one before.
import * as compute from "@pulumi/azure-native/compute";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { VmWithReadySsh } from "../components/azure";
import { stackConfig } from "./config";

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

/** Removes the admin user and the machine's identity: afterwards the VM is to be captured, not logged into. */
export const DEPROVISION = "sudo waagent -deprovision+user -force";

export function imageProgram() {
  const settings = stackConfig();
  const provisionScript =
    settings.config.get("provisionScript") ??
    "sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get -y upgrade";
  const playbook = settings.config.get("ansiblePlaybook");
  const gallery = settings.config.getObject<{ name: string; imageName: string; version: string }>(
    "gallery",
  );
  const tags = { stack: pulumi.getStack(), program: "image" };

  const vm = new VmWithReadySsh("image", {
    location: settings.location,
    adminUsername: settings.adminUsername,
    vmSize: settings.vmSize,
    ssh: settings.sshPrivateKey ? { privateKey: settings.sshPrivateKey } : undefined,
    network: { publicIp: true, allowedSshSourceCidrs: settings.allowedSshSourceCidrs },
    // Image builders need apt free: wait for cloud-init (the default level, stated on purpose).
    readiness: { level: "command", timeout: "20m" },
    tags,
  });

  const provision = new command.remote.Command(
    "image-provision",
    { connection: vm.connection, create: provisionScript },
    { dependsOn: [vm.ready] },
  );
  const ansible = playbook
    ? new command.local.Command(
        "image-ansible",
        {
          create: ANSIBLE_SCRIPT,
          interpreter: ["/bin/sh", "-c"],
          environment: {
            PLAYBOOK: playbook,
            SSH_HOST: vm.sshHost,
            SSH_USER: vm.adminUsername,
            SSH_PRIVATE_KEY: vm.adminPrivateKey,
            KNOWN_HOSTS_LINE: vm.knownHostsLine.apply((line) => line ?? ""),
          },
        },
        { dependsOn: [provision] },
      )
    : undefined;
  const deprovision = new command.remote.Command(
    "image-deprovision",
    { connection: vm.connection, create: DEPROVISION },
    { dependsOn: [ansible ?? provision] },
  );
  // azure-native has no resource for these two operations; the Azure CLI does them (`az login` first).
  const generalize = new command.local.Command(
    "image-generalize",
    {
      create: pulumi.interpolate`az vm deallocate --resource-group ${vm.resourceGroupName} --name ${vm.virtualMachine.name} && az vm generalize --resource-group ${vm.resourceGroupName} --name ${vm.virtualMachine.name}`,
    },
    { dependsOn: [deprovision] },
  );
  const image = new compute.Image(
    "image-managed",
    {
      resourceGroupName: vm.resourceGroupName,
      location: settings.location,
      hyperVGeneration: "V2",
      sourceVirtualMachine: { id: vm.virtualMachine.id },
      tags,
    },
    { dependsOn: [generalize] },
  );

  let galleryImageVersionId: pulumi.Output<string> | undefined;
  if (gallery) {
    const galleryResource = new compute.Gallery("image-gallery", {
      resourceGroupName: vm.resourceGroupName,
      location: settings.location,
      galleryName: gallery.name,
      tags,
    });
    const definition = new compute.GalleryImage("image-definition", {
      resourceGroupName: vm.resourceGroupName,
      location: settings.location,
      galleryName: galleryResource.name,
      galleryImageName: gallery.imageName,
      osType: "Linux",
      osState: "Generalized",
      hyperVGeneration: "V2",
      identifier: { publisher: "vm-with-ready-ssh", offer: gallery.imageName, sku: "generalized" },
      tags,
    });
    galleryImageVersionId = new compute.GalleryImageVersion(
      "image-version",
      {
        resourceGroupName: vm.resourceGroupName,
        location: settings.location,
        galleryName: galleryResource.name,
        galleryImageName: definition.name,
        galleryImageVersionName: gallery.version,
        storageProfile: { source: { virtualMachineId: vm.virtualMachine.id } },
        publishingProfile: { targetRegions: [{ name: settings.location }] },
        tags,
      },
      { dependsOn: [generalize] },
    ).id;
  }

  return {
    imageId: image.id,
    galleryImageVersionId,
    hostKey: vm.hostKey,
    provisionOutput: provision.stdout,
  };
}
