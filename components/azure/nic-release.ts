// NicRelease: the pause between the deletion of a VM and of its network interface. Azure keeps a NIC reserved
// for 180 s after the VM that held it is deleted, so deleting the NIC right after the VM (a new subnet, which
// replaces both; `pulumi destroy`) fails with NicReservedForAnotherVm, with the VM already gone. The VM depends
// on this resource and this resource on the NIC, so the engine deletes the VM, then this (waiting out the
// reservation), then the NIC.
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import * as providers from "../dynamic-providers";
import { NIC_HOLD_S, type NicReleaseInputs, type NicReleaseOutputs } from "./nic-release-provider";

/** What the state keeps as this resource's provider: a forwarder to the stable entry point (see SshKeyPair's). */
const nicReleaseProvider: dynamic.ResourceProvider<NicReleaseInputs, NicReleaseOutputs> = {
  create: (inputs) => providers.nicRelease.create(inputs),
  diff: (id, olds, news) => providers.nicRelease.diff!(id, olds, news),
  update: (id, olds, news) => providers.nicRelease.update!(id, olds, news),
  read: (id, props) => providers.nicRelease.read!(id, props),
  delete: (id, props) => providers.nicRelease.delete!(id, props),
};

export interface NicReleaseArgs {
  /** The network interface whose deletion waits. A new one makes a new release. */
  networkInterfaceId: pulumi.Input<string>;
  /** The pause before the network interface is deleted, in seconds. Defaults to 190 (the 180 s reservation, and 10 to spare). */
  holdSeconds?: number;
}

export class NicRelease extends pulumi.dynamic.Resource {
  /** The network interface whose deletion waits. */
  declare readonly networkInterfaceId: pulumi.Output<string>;
  /** The pause before it is deleted, in seconds. */
  declare readonly holdSeconds: pulumi.Output<number>;

  constructor(name: string, args: NicReleaseArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      nicReleaseProvider,
      name,
      { networkInterfaceId: args.networkInterfaceId, holdSeconds: args.holdSeconds ?? NIC_HOLD_S },
      opts,
      "nic-release",
      "NicRelease",
    );
  }
}
