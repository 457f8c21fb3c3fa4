// The SshReadiness resource: a thin Pulumi adapter over the readiness engine.
export { SshReadiness } from "./ssh-readiness";
export type { SshReadinessArgs, SshReadinessJumpHost } from "./ssh-readiness";
export { sshReadinessProvider } from "./provider";
export type { ReadinessOutputs } from "./provider";
