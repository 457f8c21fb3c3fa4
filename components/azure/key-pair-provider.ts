// The dynamic provider behind SshKeyPair: generates the pair once, at creation; the state keeps it.
// Served to the provider host through `vm-with-ready-ssh/dynamic-providers` (see that module).
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { codeChanged } from "../provider-code";
import { generateKeyPair, type KeyType } from "../keys/generation";

export interface KeyPairInputs {
  comment?: string;
  /** Absent in state written before key types existed: those pairs are Ed25519. */
  keyType?: KeyType;
}

export interface KeyPairOutputs extends KeyPairInputs {
  publicKey: string;
  privateKey: string;
  fingerprint: string;
}

export const keyPairProvider: dynamic.ResourceProvider<KeyPairInputs, KeyPairOutputs> = {
  async create(inputs) {
    const pair = generateKeyPair(inputs.keyType ?? "ed25519", inputs.comment ?? "");
    return { id: pair.fingerprint, outs: { ...inputs, ...pair } };
  },
  /**
   * A key pair never changes on its own: a new comment does not make a new key. A new type does (an Ed25519
   * pair cannot become an RSA one); a pair recorded before the type existed is Ed25519. New provider code is
   * an update that keeps the key, so the state runs the new code from then on.
   */
  async diff(_id, olds, news) {
    const replaces = (olds.keyType ?? "ed25519") === (news.keyType ?? "ed25519") ? [] : ["keyType"];
    return {
      changes: replaces.length > 0 || codeChanged(olds, news),
      replaces,
      deleteBeforeReplace: false,
    };
  },
  /** Only the provider code changed: the key stays. */
  async update(_id, olds) {
    return { outs: olds };
  },
  async read(id, props) {
    return { id, props };
  },
  async delete() {
    return;
  },
};
