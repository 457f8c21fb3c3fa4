// The `dev` stack: one VM whose SSH is ready, and one command run on it after readiness with the host key
// pinned. Exports what a person needs to log in with a verified key.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { VmWithReadySsh, type VmWithReadySshArgs } from "../components/azure";
import { stackConfig } from "./config";

/**
 * The dev VM's greeting. `cloud-init status` exits 2 for "done, with recoverable errors" (cloud-init ≥ 23.4,
 * common on Azure with Ubuntu 24.04): the VM is up, so that is a success with a note; anything else but 0 fails.
 */
export const HELLO_SCRIPT = `uname -a
cloud-init status --long
rc=$?
if [ "$rc" -eq 2 ]; then
  echo "note: cloud-init finished with recoverable errors (exit 2); the VM is up. The errors are listed above."
elif [ "$rc" -ne 0 ]; then
  exit "$rc"
fi
`;

export function devProgram() {
  const settings = stackConfig();
  const vm = new VmWithReadySsh("dev", {
    location: settings.location,
    adminUsername: settings.adminUsername,
    vmSize: settings.vmSize,
    ssh: settings.sshPrivateKey ? { privateKey: settings.sshPrivateKey } : undefined,
    network: {
      publicIp: true,
      allowedSshSourceCidrs: settings.allowedSshSourceCidrs,
      subnetAddressPrefix: settings.config.get("subnetAddressPrefix"),
    },
    osDisk: { sizeGb: settings.config.getNumber("osDiskSizeGb") },
    customData: settings.customData,
    // "generated" (the default), "first-seen" or "console"; the component checks it.
    hostKeyTrust: settings.config.get("hostKeyTrust") as VmWithReadySshArgs["hostKeyTrust"],
    tags: { stack: pulumi.getStack(), program: "dev" },
  });
  const hello = new command.remote.Command(
    "dev-hello",
    {
      connection: vm.connection,
      create: HELLO_SCRIPT,
      // A replaced VM (new custom data, image, …) is greeted again.
      triggers: [vm.vmId],
    },
    { dependsOn: [vm.ready] },
  );
  return {
    vmId: vm.vmId,
    vmResourceId: vm.virtualMachine.id,
    sshHost: vm.sshHost,
    adminUsername: vm.adminUsername,
    hostKey: vm.hostKey,
    knownHostsLine: vm.knownHostsLine,
    connection: vm.connection,
    hello: hello.stdout,
  };
}
