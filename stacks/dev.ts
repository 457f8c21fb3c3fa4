// The `dev` stack: one VM whose SSH is ready, and one command run on it after readiness with the host key
// pinned. Exports what a person needs to log in with a verified key.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { VmWithReadySsh } from "../components/azure";
import { stackConfig } from "./config";

export function devProgram() {
  const settings = stackConfig();
  const vm = new VmWithReadySsh("dev", {
    location: settings.location,
    adminUsername: settings.adminUsername,
    vmSize: settings.vmSize,
    ssh: settings.sshPrivateKey ? { privateKey: settings.sshPrivateKey } : undefined,
    network: { publicIp: true, allowedSshSourceCidrs: settings.allowedSshSourceCidrs },
    customData: settings.customData,
    tags: { stack: pulumi.getStack(), program: "dev" },
  });
  const hello = new command.remote.Command(
    "dev-hello",
    {
      connection: vm.connection,
      create: "uname -a && cloud-init status --long",
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
