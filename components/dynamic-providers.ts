// The one module a serialized dynamic provider requires, as `vm-with-ready-ssh/dynamic-providers`.
//
// Pulumi stores each dynamic resource's provider as code in the stack's state and runs that code on refresh and
// destroy, long after the program that wrote it. The code it stores from an installed copy of this package is a
// small forwarder (ssh-readiness.ts, ssh-key-pair.ts) whose only `require` is this entry point. So this name and
// the names below are a promise kept in every release: files behind them may move, these may not.
import { join } from "node:path";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { KeyPairInputs, KeyPairOutputs } from "./azure/key-pair-provider";
import type { NicReleaseInputs, NicReleaseOutputs } from "./azure/nic-release-provider";

export { sshReadinessProvider as sshReadiness } from "./ssh-readiness/provider";

/** SshKeyPair's provider (azure/key-pair-provider.ts). */
export declare const sshKeyPair: dynamic.ResourceProvider<KeyPairInputs, KeyPairOutputs>;
// Loaded when first read: a program that only waits for SSH (SshReadiness) never loads the Azure key code. The
// path is absolute: Pulumi's serializer copies this module by value when it runs from a work tree (not an
// installed package, whose stored code requires this entry point), getter and all, and a relative require()
// would then resolve from wherever that copy runs.
const KEY_PAIR_PROVIDER = join(__dirname, "azure", "key-pair-provider");
Object.defineProperty(exports, "sshKeyPair", {
  enumerable: true,
  get: () =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require(KEY_PAIR_PROVIDER) as typeof import("./azure/key-pair-provider")).keyPairProvider,
});

/** NicRelease's provider (azure/nic-release-provider.ts), loaded when first read, as SshKeyPair's. */
export declare const nicRelease: dynamic.ResourceProvider<NicReleaseInputs, NicReleaseOutputs>;
const NIC_RELEASE_PROVIDER = join(__dirname, "azure", "nic-release-provider");
Object.defineProperty(exports, "nicRelease", {
  enumerable: true,
  get: () =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require(NIC_RELEASE_PROVIDER) as typeof import("./azure/nic-release-provider"))
      .nicReleaseProviderOnSystemClock,
});
