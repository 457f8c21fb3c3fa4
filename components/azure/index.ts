// The Azure component: a Linux VM whose SSH is ready (and verified) before anything uses it.
export { VmWithReadySsh } from "./vm-with-ready-ssh";
export type { VmConnection } from "./vm-with-ready-ssh";
export type {
  VmWithReadySshArgs,
  VmNetworkArgs,
  VmSshArgs,
  VmReadinessArgs,
  ImageReference,
} from "./args";
export { DEFAULTS, CUSTOM_DATA_LIMIT } from "./args";
export { SshKeyPair } from "./ssh-key-pair";
export type { SshKeyPairArgs } from "./ssh-key-pair";
export { validateVmArgs, RESERVED_USERNAMES } from "./validate";
