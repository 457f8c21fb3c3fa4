// Stack configuration shared by the programs: one place that reads it, with the defaults Pulumi.yaml declares.
import * as pulumi from "@pulumi/pulumi";

export function stackConfig() {
  const config = new pulumi.Config();
  return {
    config,
    /** Which program a stack runs: dev, image or local. Defaults to the stack's name. */
    program: config.get("program") || pulumi.getStack(),
    location: config.get("location") ?? "westeurope",
    adminUsername: config.get("adminUsername") ?? "azureuser",
    vmSize: config.get("vmSize"),
    /** Addresses allowed to reach port 22 of the VM (the machine that runs `pulumi up` must be one). */
    allowedSshSourceCidrs: config.getObject<string[]>("allowedSshSourceCidrs"),
    /** cloud-init user data for the VM (dev stack); changing it replaces the VM. */
    customData: config.get("customData"),
    /** The admin user's private key; a key pair is generated when it is absent. */
    sshPrivateKey: config.getSecret("sshPrivateKey"),
  };
}
