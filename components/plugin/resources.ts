// The children VmWithReadySsh makes when the provider plugin constructs it: custom resources of this package
// (served by the plugin itself) instead of dynamic resources, which a Python, Go, .NET, Java or YAML program
// cannot run (their host needs the Node SDK in the program's directory, pulumi/pulumi#5455).
import * as pulumi from "@pulumi/pulumi";
import type { NicReleaseArgs } from "../azure/nic-release";
import type { SshKeyPairArgs } from "../azure/ssh-key-pair";
import {
  VmWithReadySshBase,
  type KeyPairResource,
  type NicReleaseResource,
  type ReadinessResource,
} from "../azure/vm-with-ready-ssh";
import { readinessProps, type SshReadinessArgs } from "../ssh-readiness/ssh-readiness";
import { NIC_RELEASE, SSH_KEY_PAIR, SSH_READINESS } from "./schema";
import { NIC_HOLD_S } from "../azure/nic-release-provider";
import { PLUGIN_VERSION } from "./version";

/** SshReadiness as the plugin's custom resource: the same inputs, secrets and outputs. */
export class PluginSshReadiness extends pulumi.CustomResource implements ReadinessResource {
  declare readonly host: pulumi.Output<string>;
  declare readonly port: pulumi.Output<number>;
  declare readonly hostKey: pulumi.Output<string | undefined>;
  declare readonly knownHostsLine: pulumi.Output<string | undefined>;

  constructor(name: string, args: SshReadinessArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(SSH_READINESS, name, readinessProps(name, args), { version: PLUGIN_VERSION, ...opts });
  }
}

export class PluginSshKeyPair extends pulumi.CustomResource implements KeyPairResource {
  declare readonly publicKey: pulumi.Output<string>;
  declare readonly privateKey: pulumi.Output<string>;
  declare readonly fingerprint: pulumi.Output<string>;

  constructor(name: string, args: SshKeyPairArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(
      SSH_KEY_PAIR,
      name,
      { ...args, publicKey: undefined, privateKey: undefined, fingerprint: undefined },
      { version: PLUGIN_VERSION, ...opts, additionalSecretOutputs: ["privateKey"] },
    );
  }
}

/** NicRelease as the plugin's custom resource. */
export class PluginNicRelease extends pulumi.CustomResource {
  declare readonly networkInterfaceId: pulumi.Output<string>;
  declare readonly holdSeconds: pulumi.Output<number>;

  constructor(name: string, args: NicReleaseArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(
      NIC_RELEASE,
      name,
      { networkInterfaceId: args.networkInterfaceId, holdSeconds: args.holdSeconds ?? NIC_HOLD_S },
      { version: PLUGIN_VERSION, ...opts },
    );
  }
}

/** VmWithReadySsh whose children are the plugin's resources: one component, two ways of running it. */
export class PluginVmWithReadySsh extends VmWithReadySshBase<PluginSshReadiness> {
  protected newKeyPair(
    name: string,
    args: SshKeyPairArgs,
    opts: pulumi.CustomResourceOptions,
  ): KeyPairResource {
    return new PluginSshKeyPair(name, args, opts);
  }

  protected newNicRelease(
    name: string,
    args: NicReleaseArgs,
    opts: pulumi.CustomResourceOptions,
  ): NicReleaseResource {
    return new PluginNicRelease(name, args, opts);
  }

  protected newReadiness(
    name: string,
    args: SshReadinessArgs,
    opts: pulumi.CustomResourceOptions,
  ): PluginSshReadiness {
    return new PluginSshReadiness(name, args, opts);
  }
}
