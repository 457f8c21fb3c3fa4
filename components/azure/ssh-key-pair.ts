// SshKeyPair: a key pair (Ed25519 by default, or ECDSA P-256, or RSA 3072) generated once, at creation, and
// kept in the stack's state (the private key as a secret output), so it is stable across `pulumi up`. Used for
// the VM's host keys and, when the user gives none, the admin key.
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import * as providers from "../dynamic-providers";
import type { KeyPairInputs, KeyPairOutputs } from "./key-pair-provider";
import type { KeyType } from "../keys/generation";

/**
 * What the state keeps as this resource's provider: a forwarder to the stable entry point, so a stack written
 * by this version still refreshes and destroys after the package's files move. Methods only: serialized as code.
 */
const keyPairProvider: dynamic.ResourceProvider<KeyPairInputs, KeyPairOutputs> = {
  create: (inputs) => providers.sshKeyPair.create(inputs),
  diff: (id, olds, news) => providers.sshKeyPair.diff!(id, olds, news),
  update: (id, olds, news) => providers.sshKeyPair.update!(id, olds, news),
  read: (id, props) => providers.sshKeyPair.read!(id, props),
  delete: (id, props) => providers.sshKeyPair.delete!(id, props),
};

export interface SshKeyPairArgs {
  /** Comment at the end of the public key line. Used at creation only. Defaults to none. */
  comment?: pulumi.Input<string>;
  /** Key type: "ed25519", "ecdsa" (P-256) or "rsa" (3072 bits). A new type makes a new key. Defaults to "ed25519". */
  keyType?: KeyType;
}

export class SshKeyPair extends pulumi.dynamic.Resource {
  /** OpenSSH public key line. */
  declare readonly publicKey: pulumi.Output<string>;
  /** OpenSSH private key text; secret. */
  declare readonly privateKey: pulumi.Output<string>;
  /** `SHA256:…` fingerprint of the public key. */
  declare readonly fingerprint: pulumi.Output<string>;

  constructor(name: string, args: SshKeyPairArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(
      keyPairProvider,
      name,
      {
        comment: args.comment,
        keyType: args.keyType,
        publicKey: undefined,
        privateKey: undefined,
        fingerprint: undefined,
      },
      { ...opts, additionalSecretOutputs: ["privateKey"] },
      "ssh-key-pair",
      "SshKeyPair",
    );
  }
}
