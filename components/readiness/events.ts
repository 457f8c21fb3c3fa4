// What the engine reports: one event per attempt while it waits, and the result when sshd is ready.
import type { FailureClass, Phase } from "./classify";
import type { Level } from "./options";

/** One attempt, as passed to `onAttempt`. Contains no secrets. */
export interface AttemptEvent {
  /** 1-based attempt number. */
  attempt: number;
  /** Which machine the outcome is about: the target, or the jump host on the way. */
  hop: "target" | "jump";
  /** `ready`, or why the attempt failed. */
  outcome: "ready" | FailureClass;
  /** The phase the attempt was in when it ended. */
  reached: Phase;
  /** When the attempt started: whole milliseconds since the wait started. */
  startedMs: number;
  /** When the attempt ended: whole milliseconds since the wait started. */
  elapsedMs: number;
  /** The clock's reading when the attempt ended (`performance.now()` with the system clock), for measurements. */
  timestamp: number;
  /** One line on what happened: "connect ECONNREFUSED 127.0.0.1:2222". */
  detail: string;
  /**
   * The overall deadline cut this attempt short: its outcome says nothing about the server, and it is left out
   * of the failure counts.
   */
  cutByDeadline?: boolean;
  /** Pause before the next attempt, in ms; absent on the last attempt. */
  nextDelayMs?: number;
  /** The server's identification line, when it sent one. */
  serverBanner?: string;
  /** Fingerprint of the host key presented, when key exchange got that far. */
  hostKeyFingerprint?: string;
  /** Exit code of the readiness command, when it ran (null: no exit status). */
  exitCode?: number | null;
}

/** The readiness command started on the server (it may run for minutes, e.g. while cloud-init works). */
export interface CommandStartEvent {
  attempt: number;
  /** Whole milliseconds since the wait started. */
  elapsedMs: number;
  command: string;
}

/** What `waitForSsh` resolves with. */
export interface SshReadyResult {
  host: string;
  port: number;
  /** The user that logged in (levels `auth` and `command`). */
  username?: string;
  level: Level;
  /** The server's identification line, e.g. `SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13`. */
  serverBanner?: string;
  /** The verified host key as an OpenSSH public key line (levels `auth` and `command`). */
  hostKey?: string;
  /** `SHA256:…` fingerprint of `hostKey`, as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint?: string;
  /** A line for `known_hosts`. */
  knownHostsLine?: string;
  /** When the server was found ready (ISO 8601). */
  readyAt: string;
  /** Milliseconds from the start of the wait to ready. */
  waitedMs: number;
  /** Number of attempts, the successful one included. */
  attempts: number;
  /** Things worth knowing that did not stop the wait (host key changed, cloud-init finished with errors). */
  warnings: string[];
  /** The readiness command's exit code and the last 2 KiB of its output (level `command`). */
  command?: { exitCode: number; output: string };
  /**
   * The boot the readiness command ran on: Linux's `/proc/sys/kernel/random/boot_id`, read on the same
   * connection (level `command`; undefined on a host without it). Give it as `afterBoot` to wait for the
   * machine to come back from a reboot.
   */
  bootId?: string;
}
