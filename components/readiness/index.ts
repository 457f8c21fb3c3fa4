// The readiness engine's public surface (`vm-with-ready-ssh/readiness`): waitForSsh, what it takes and gives,
// and the progress printer the CLI uses. No Pulumi, and no ssh2 types: these declarations stand on their own.
export { waitForSsh } from "./wait";
export type { WaitForSshOptions, JumpHostOptions, Level } from "./options";
export { LEVELS, CLOUD_INIT_COMMAND } from "./options";
export type { AttemptEvent, CommandStartEvent, SshReadyResult } from "./events";
export { SshNotReadyError, HostKeyMismatchError, InvalidOptionError } from "./errors";
export type { SshNotReadyCode, LastFailure, ConsoleReport } from "./errors";
export type { FailureClass, Phase } from "./classify";
export type { ScheduleInput, ScheduleOptions } from "./schedule";
export { ProgressPrinter } from "./progress";
export type { ProgressOptions } from "./progress";
