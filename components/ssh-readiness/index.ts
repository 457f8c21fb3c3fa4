// The SshReadiness resource (`vm-with-ready-ssh/ssh-readiness`): a thin Pulumi adapter over the engine.
export { SshReadiness } from "./ssh-readiness";
export type { SshReadinessArgs, SshReadinessJumpHost } from "./ssh-readiness";
