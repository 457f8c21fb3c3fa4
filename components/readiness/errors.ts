// Typed failures of a wait, each carrying what a caller needs to act: the phase reached, per-class counts,
// the last error, elapsed time. Messages are built in summary.ts and never contain secrets.
import type { FailureClass, Phase } from "./classify";
import type { HostKeyInfo } from "./host-key";

/**
 * Bad input, found before any side effect: `option` names it as the caller wrote it (`timeout`,
 * `jumpHost.port`, `readiness.timeout`), and the message starts with it in brackets. A TypeError, as the
 * errors for bad options were before it had a class of its own.
 */
export class InvalidOptionError extends TypeError {
  /** What is wrong with it, without the name. */
  readonly reason: string;

  constructor(
    /** The option, as a path from the options object. */
    readonly option: string,
    reason: string,
  ) {
    super(`[${option}] ${reason}`);
    // Set again: in the serialized Pulumi provider, `super` becomes `TypeError.call(this, …)`, which sets nothing.
    this.message = `[${option}] ${reason}`;
    this.name = "InvalidOptionError";
    this.reason = reason;
  }
}

export type SshNotReadyCode =
  /** The deadline passed before the server was ready. */
  | "SSH_NOT_READY"
  /** The server presented a host key that is not pinned. */
  | "HOST_KEY_MISMATCH"
  /** cloud-init reported a critical error: waiting longer cannot help. */
  | "COMMAND_FAILED"
  /** The jump host refuses to forward connections. */
  | "FORWARDING_REFUSED";

export interface LastFailure {
  class: FailureClass;
  phase: Phase;
  hop: "target" | "jump";
  detail: string;
}

/**
 * What the VM's console said when the wait gave up: the current boot's lines that matter (screened for secrets,
 * escaped, oldest first; empty when none did), or why the console could not be read. `source` names it.
 */
export type ConsoleReport =
  | { source: string; tail: string[]; unavailable?: undefined }
  | { source: string; tail?: undefined; unavailable: string };

export interface SshNotReadyDetails {
  code: SshNotReadyCode;
  host: string;
  port: number;
  /** The furthest phase any attempt reached. */
  reached: Phase;
  attempts: number;
  /** How many attempts failed for each reason. */
  counts: Partial<Record<FailureClass, number>>;
  last: LastFailure;
  elapsedMs: number;
  /** Output of the readiness command's last run, when it ran. */
  commandOutput?: string;
  /** The VM's console, when the wait was given one (`serialLog`). */
  console?: ConsoleReport;
}

export class SshNotReadyError extends Error implements SshNotReadyDetails {
  readonly code: SshNotReadyCode;
  readonly host: string;
  readonly port: number;
  readonly reached: Phase;
  readonly attempts: number;
  readonly counts: Partial<Record<FailureClass, number>>;
  readonly last: LastFailure;
  readonly elapsedMs: number;
  readonly commandOutput?: string;
  readonly console?: ConsoleReport;

  constructor(message: string, details: SshNotReadyDetails) {
    super(message);
    // Set again: in the serialized Pulumi provider, `super` becomes `Error.call(this, …)`, which sets nothing.
    this.message = message;
    this.name = "SshNotReadyError";
    this.code = details.code;
    this.host = details.host;
    this.port = details.port;
    this.reached = details.reached;
    this.attempts = details.attempts;
    this.counts = details.counts;
    this.last = details.last;
    this.elapsedMs = details.elapsedMs;
    this.commandOutput = details.commandOutput;
    this.console = details.console;
  }

  /** A plain object for JSON output. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      host: this.host,
      port: this.port,
      reached: this.reached,
      attempts: this.attempts,
      counts: this.counts,
      last: this.last,
      elapsedMs: Math.round(this.elapsedMs),
      commandOutput: this.commandOutput,
      console: this.console,
    };
  }
}

export class HostKeyMismatchError extends SshNotReadyError {
  /** The keys the server presented (one per key type tried). */
  readonly presented: HostKeyInfo[];
  /** What the pin accepts. */
  readonly expected: string;

  constructor(
    message: string,
    details: SshNotReadyDetails,
    presented: HostKeyInfo[],
    expected: string,
  ) {
    super(message, details);
    this.name = "HostKeyMismatchError";
    this.presented = presented;
    this.expected = expected;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), presented: this.presented, expected: this.expected };
  }
}
