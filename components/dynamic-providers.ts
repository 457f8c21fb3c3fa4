// The one module a serialized dynamic provider requires, as `vm-with-ready-ssh/dynamic-providers`.
//
// Pulumi stores each dynamic resource's provider as code in the stack's state and runs that code on refresh and
// destroy, long after the program that wrote it. The code it stores from an installed copy of this package is a
// small forwarder (ssh-readiness.ts, ssh-key-pair.ts) whose only `require` is this entry point. So this name and
// the names below are a promise kept in every release: files behind them may move, these may not.
export { sshReadinessProvider as sshReadiness } from "./ssh-readiness/provider";
export { keyPairProvider as sshKeyPair } from "./azure/key-pair-provider";
