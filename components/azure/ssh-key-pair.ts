// SshKeyPair: a key pair (Ed25519 by default, or ECDSA P-256, or RSA 3072) generated once, at creation, and
// kept in the stack's state (the private key as a secret output), so it is stable across `pulumi up`. Used for
// the VM's host keys and, when the user gives none, the admin key.
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { generateKeyPair, type KeyType } from "./key-generation";

interface KeyPairInputs {
  comment?: string;
  /** Absent in state written before key types existed: those pairs are Ed25519. */
  keyType?: KeyType;
}

interface KeyPairOutputs extends KeyPairInputs {
  publicKey: string;
  privateKey: string;
  fingerprint: string;
}

const keyPairProvider: dynamic.ResourceProvider<KeyPairInputs, KeyPairOutputs> = {
  async create(inputs) {
    const pair = generateKeyPair(inputs.keyType ?? "ed25519", inputs.comment ?? "");
    return { id: pair.fingerprint, outs: { ...inputs, ...pair } };
  },
  /**
   * A key pair never changes on its own: a new comment does not make a new key. A new type does (an Ed25519
   * pair cannot become an RSA one); a pair recorded before the type existed is Ed25519.
   */
  async diff(_id, olds, news) {
    const replaces = (olds.keyType ?? "ed25519") === (news.keyType ?? "ed25519") ? [] : ["keyType"];
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
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
