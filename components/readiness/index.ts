// The readiness engine's public surface: waitForSsh and what it takes and gives. No Pulumi in here.
export { waitForSsh } from "./wait";
export type { WaitForSshOptions, JumpHostOptions, Level } from "./options";
export {
  LEVELS,
  CLOUD_INIT_COMMAND,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_ATTEMPT_TIMEOUT_MS,
  DEFAULT_COMMAND_TIMEOUT_MS,
} from "./options";
export type { AttemptEvent, CommandStartEvent, SshReadyResult } from "./events";
export { SshNotReadyError, HostKeyMismatchError } from "./errors";
export type { SshNotReadyCode, LastFailure } from "./errors";
export type { FailureClass, Phase } from "./classify";
export { CLASS_INFO, PHASES } from "./classify";
export { DEFAULT_SCHEDULE } from "./schedule";
export type { ScheduleOptions } from "./schedule";
export type { Clock } from "./clock";
export { parseDuration, formatDuration } from "./duration";
export { fingerprintOf, knownHostsLine } from "./host-key";
export { ProgressPrinter } from "./progress";
export type { ProgressOptions } from "./progress";
