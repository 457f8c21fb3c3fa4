// SshKeyPair: an Ed25519 key pair generated once, at creation, and kept in the stack's state (the private
// key as a secret output), so it is stable across `pulumi up`. Used for the VM's host key and, when the user
// gives none, the admin key.
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { generateEd25519 } from "./key-generation";

interface KeyPairInputs {
  comment?: string;
}

interface KeyPairOutputs extends KeyPairInputs {
  publicKey: string;
  privateKey: string;
  fingerprint: string;
}

const keyPairProvider: dynamic.ResourceProvider<KeyPairInputs, KeyPairOutputs> = {
  async create(inputs) {
    const pair = generateEd25519(inputs.comment ?? "");
    return { id: pair.fingerprint, outs: { ...inputs, ...pair } };
  },
  /** A key pair never changes: new inputs (the comment) do not make a new key. */
  async diff() {
    return { changes: false };
  },
  async read(id, props) {
    return { id, props };
  },
  async delete() {
    return;
  },
};

export interface SshKeyPairArgs {
  /** Comment at the end of the public key line. Used at creation only. Defaults to none. */
  comment?: pulumi.Input<string>;
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
