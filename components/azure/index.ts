// The Azure component (`vm-with-ready-ssh/azure`): a Linux VM whose SSH is ready (and verified) before anything
// uses it. Needs @pulumi/azure-native in the program, loaded only when a VmWithReadySsh is made.
export { VmWithReadySsh } from "./vm-with-ready-ssh";
export type { VmConnection } from "./vm-with-ready-ssh";
export type {
  VmWithReadySshArgs,
  VmNetworkArgs,
  VmSshArgs,
  VmReadinessArgs,
  ImageReference,
} from "./args";
export { SshKeyPair } from "./ssh-key-pair";
export type { SshKeyPairArgs } from "./ssh-key-pair";
