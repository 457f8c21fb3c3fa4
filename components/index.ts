// vm-with-ready-ssh: the readiness engine (waitForSsh) and the Pulumi resources built on it.
export * from "./readiness";
export * from "./ssh-readiness";
export * from "./azure";
