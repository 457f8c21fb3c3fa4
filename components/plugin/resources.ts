// The children VmWithReadySsh makes when the provider plugin constructs it: custom resources of this package
// (served by the plugin itself) instead of dynamic resources, which a Python, Go, .NET, Java or YAML program
// cannot run (their host needs the Node SDK in the program's directory, pulumi/pulumi#5455).
import * as pulumi from "@pulumi/pulumi";
import type { SshKeyPairArgs } from "../azure/ssh-key-pair";
import {
  VmWithReadySshBase,
  type KeyPairResource,
  type ReadinessResource,
} from "../azure/vm-with-ready-ssh";
import { readinessProps, type SshReadinessArgs } from "../ssh-readiness/ssh-readiness";
import { SSH_KEY_PAIR, SSH_READINESS } from "./schema";
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

/** VmWithReadySsh whose children are the plugin's resources: one component, two ways of running it. */
export class PluginVmWithReadySsh extends VmWithReadySshBase<PluginSshReadiness> {
  protected newKeyPair(
    name: string,
    args: SshKeyPairArgs,
    opts: pulumi.CustomResourceOptions,
  ): KeyPairResource {
    return new PluginSshKeyPair(name, args, opts);
  }

  protected newReadiness(
    name: string,
    args: SshReadinessArgs,
    opts: pulumi.CustomResourceOptions,
  ): PluginSshReadiness {
    return new PluginSshReadiness(name, args, opts);
  }
}
