// One attempt, as far as the level asks: TCP → banner → key exchange + authentication → command.
// Whatever happens, every socket and channel it opened is closed before it returns.
import type { FailureClass, Phase } from "./classify";
import type { JumpSession } from "./connect";
import { connectDirect } from "./connect";
import type { Deadline, Limit } from "./deadline";
import type { HostKeyInfo } from "./host-key";
import { DID_NOT_RUN_EXIT, DID_NOT_RUN_MARKER, NO_CLOUD_INIT_MARKER } from "./options";
import type { ResolvedOptions } from "./resolve";
import {
  boundToSession,
  ConnectionState,
  lastLine,
  login,
  readBanner,
  runCommand,
  ssh2Detail,
} from "./session";
import { printable } from "./printable";
import { AttemptFailure, Resources, type Mismatch } from "./step";

/**
 * The first line the boot id prefix writes: `ssh-ready boot <id>`, or `unknown` where it cannot be read. The line
 * is ours, never the command's output, whatever follows the words; of it, only a boot id's shape is taken (the
 * rest is the server's text, and the id is printed and stored).
 */
const BOOT_LINE = /^ssh-ready boot /;
const BOOT_MARKER =
  /^ssh-ready boot ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|unknown)$/;
/** The prefix's exit status when it finds the boot given as afterBoot: the command did not run. */
const PREVIOUS_BOOT_EXIT = 97;

export interface AttemptOutcome {
  ok: boolean;
  hop: "target" | "jump";
  reached: Phase;
  failure?: FailureClass;
  /** One line on what happened; never a secret. */
  detail: string;
  /** Waiting longer cannot help. */
  fatal: boolean;
  /** A time limit shortened by the overall deadline ended it: it says nothing about the server. */
  cutByDeadline?: boolean;
  banner?: string;
  hostKey?: HostKeyInfo;
  /** Every host key presented during the attempt, in order (two when a confirmation login saw another key). */
  hostKeysSeen: HostKeyInfo[];
  /** A final host key mismatch of the jump host: what it presented, what its pin accepts. */
  mismatch?: Mismatch;
  exitCode?: number | null;
  output?: string;
  warnings: string[];
  /** Times the key was offered on the connection (more than one: it was re-offered while held open). */
  keyOffers?: number;
  /** The server ended the connection at its MaxAuthTries. */
  authLimitHit?: boolean;
  /** The readiness command succeeded, and the confirming login after it failed (this outcome is that login's). */
  commandSucceeded?: boolean;
  /** The boot the readiness command ran on (level `command`, a Linux host). */
  bootId?: string;
}

export interface AttemptContext {
  signal?: AbortSignal;
  /** The wait's one deadline, on its clock: every phase asks it for its limit. */
  deadline: Deadline;
  jump?: JumpSession;
  /** Host key algorithms to offer; undefined for ssh2's defaults. */
  hostKeyAlgorithms?: string[];
  /** Called when the readiness command starts on the server (after login). */
  onCommandStart?: () => void;
  /** Offers of the key on one connection (see Login.offers). Defaults to one. */
  keyOffers?: { max: number; everyMs: number };
  /** Stop once the key is accepted: no session. For the confirmation after a long command. */
  loginOnly?: boolean;
}

export type AttemptFunction = (
  opts: ResolvedOptions,
  ctx: AttemptContext,
) => Promise<AttemptOutcome>;

/** Runs one attempt. Resolves with its outcome; rejects only with the signal's reason when aborted. */
export const runAttempt: AttemptFunction = async (opts, ctx) => {
  const resources = new Resources();
  const state = new ConnectionState("target");
  const phase = () => ctx.deadline.limit(opts.attemptTimeoutMs);
  try {
    const stream = ctx.jump
      ? await forwardThroughJump(ctx.jump, opts, phase, ctx.signal)
      : await connectDirect(opts.host, opts.port, opts.lookup, phase(), ctx.signal, resources);
    resources.add(() => stream.destroy());
    if (opts.level === "tcp") return success("connect", "the port accepts connections", state);
    if (opts.level === "banner") {
      await readBanner(stream, state, phase(), ctx.signal);
      return success("banner", "sshd sent its banner", state);
    }
    const client = await login(
      stream,
      // Both are required at these levels; resolveOptions checked it.
      {
        username: opts.username!,
        key: opts.key!,
        pin: opts.pin,
        hostKeyAlgorithms: ctx.hostKeyAlgorithms,
        offers: ctx.keyOffers,
      },
      state,
      phase,
      ctx.signal,
      resources,
    );
    if (ctx.loginOnly) return success("auth", "the key is accepted", state);
    // `true` ends at once; the readiness command may run for minutes, and must not outlive the wait.
    const command =
      opts.level === "auth" ? "true" : boundToSession(withBootId(opts.command, opts.afterBoot));
    const commandLimit = ctx.deadline.limit(
      opts.level === "auth" ? opts.attemptTimeoutMs : opts.commandTimeoutMs,
    );
    // With afterBoot, the command starts only once the boot line says it is another boot.
    if (opts.level === "command" && opts.afterBoot === undefined) ctx.onCommandStart?.();
    const onMarked = (line: string) => {
      if (opts.afterBoot !== undefined && bootIdOf(line) !== opts.afterBoot) ctx.onCommandStart?.();
    };
    const run = await runCommand(
      client,
      stream,
      command,
      state,
      commandLimit,
      ctx.signal,
      resources,
      opts.level === "command" ? BOOT_LINE : undefined,
      onMarked,
    );
    const bootId = bootIdOf(run.marked);
    if (opts.afterBoot !== undefined) checkBoot(opts.afterBoot, bootId, run.exitCode);
    const outcome = { ...judgeCommand(opts, state, run.exitCode, run.output), bootId };
    if (!outcome.ok || opts.level !== "command" || doneWhenAsked(opts, run.output)) return outcome;
    // The command may have run for minutes on a connection opened before sshd was restarted (a restart keeps
    // running sessions), so a fresh login confirms sshd still answers, and tells the host key it presents now.
    // Both are known once the key is accepted: no session is opened.
    resources.closeAll();
    const confirm = await runAttempt(
      { ...opts, level: "auth" },
      {
        ...ctx,
        onCommandStart: undefined,
        keyOffers: undefined,
        loginOnly: true,
      },
    );
    const hostKeysSeen = [...outcome.hostKeysSeen, ...confirm.hostKeysSeen];
    if (!confirm.ok)
      return {
        ...confirm,
        hostKeysSeen,
        commandSucceeded: true,
        detail: `confirming login after the command: ${confirm.detail}`,
      };
    return { ...outcome, hostKey: confirm.hostKey, hostKeysSeen, bootId };
  } catch (caught) {
    if (ctx.signal?.aborted && caught === ctx.signal.reason) throw caught;
    // A mistake in code (ours, a hook's, Node's arguments) is no network fault: retried, it would end only at
    // the deadline, as "connection reset". It ends the wait, as itself.
    if (isCodeMistake(caught)) throw caught;
    // Anything else that ends an attempt is a failed attempt, never the end of the wait: ssh2 throws
    // "Not connected" at once when the server has just closed the connection.
    const error = caught instanceof AttemptFailure ? caught : unexpected(caught, state);
    return {
      ok: false,
      hop: error.hop,
      reached: error.hop === "jump" ? "connect" : error.reached,
      failure: error.failure,
      detail: error.message,
      fatal: error.fatal,
      cutByDeadline: error.timedOut && error.cutByDeadline,
      mismatch: error.mismatch,
      banner: state.banner,
      hostKey: state.hostKey,
      hostKeysSeen: state.hostKey ? [state.hostKey] : [],
      warnings: [],
      keyOffers: state.keyOffers,
      authLimitHit: state.authLimitHit,
    };
  } finally {
    resources.closeAll();
  }
};

/**
 * The readiness command, preceded by a line telling the boot it runs on (Linux's boot id), in the same session;
 * with `afterBoot`, the command runs only on another boot. The id is checked (resolve.ts) before it is put here.
 */
export function withBootId(command: string, afterBoot?: string): string {
  const read =
    'ssh_ready_boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null); echo "ssh-ready boot ${ssh_ready_boot:-unknown}"; ';
  const guard = afterBoot
    ? `[ "$ssh_ready_boot" != "${afterBoot}" ] || exit ${PREVIOUS_BOOT_EXIT}; `
    : "";
  return `${read}${guard}${command}`;
}

function bootIdOf(marked: string | undefined): string | undefined {
  const id = marked && BOOT_MARKER.exec(marked)?.[1];
  return id && id !== "unknown" ? id : undefined;
}

/** With afterBoot: the command ran on another boot, or this attempt says why it did not. */
function checkBoot(afterBoot: string, bootId: string | undefined, exitCode: number | null): void {
  if (bootId === undefined)
    throw new AttemptFailure(
      "command-failed",
      "command",
      "the boot id cannot be read (/proc/sys/kernel/random/boot_id): afterBoot needs a Linux host",
      "target",
      true,
    );
  if (bootId === afterBoot && exitCode === PREVIOUS_BOOT_EXIT)
    throw new AttemptFailure("previous-boot", "command", `on boot ${bootId}, the one to wait past`);
}

/**
 * The default command found cloud-init already done: `cloud-init status --wait` prints a dot for each poll
 * while cloud-init runs, so no dot before its status line means it did not wait. cloud-init restarts sshd (new
 * host keys) before it is done, so that restart came before this login, and no confirming login is needed.
 * A custom command, or a host without cloud-init, says nothing about restarts: those are always confirmed.
 */
function doneWhenAsked(opts: ResolvedOptions, output: string): boolean {
  if (!opts.isDefaultCommand || output.includes(NO_CLOUD_INIT_MARKER)) return false;
  const status = output.indexOf("status:");
  return status >= 0 && !output.slice(0, status).includes(".");
}

/** A channel to the target through the jump host; an unexpected error there is the jump host's. */
async function forwardThroughJump(
  jump: JumpSession,
  opts: ResolvedOptions,
  phase: () => Limit,
  signal: AbortSignal | undefined,
) {
  try {
    return await jump.forward(opts.host, opts.port, phase, signal);
  } catch (caught) {
    if ((signal?.aborted && caught === signal.reason) || caught instanceof AttemptFailure)
      throw caught;
    throw new AttemptFailure(
      "reset",
      "connect",
      `jump host ${jump.label}: the connection ended (${printable(String((caught as Error)?.message ?? caught))})`,
      "jump",
    );
  }
}

/**
 * A TypeError, RangeError, ReferenceError or SyntaxError thrown outside ssh2: a mistake in code, not something
 * the server did. ssh2's own (a hostile server can make its parser read a missing field) stay failed attempts.
 */
export function isCodeMistake(caught: unknown): boolean {
  if (!(
    caught instanceof TypeError ||
    caught instanceof RangeError ||
    caught instanceof ReferenceError ||
    caught instanceof SyntaxError
  ))
    return false;
  const frame = (caught.stack ?? "").split("\n").find((line) => line.trimStart().startsWith("at "));
  return !frame || !/[\\/]node_modules[\\/]ssh2[\\/]/.test(frame);
}

/** An error no step classified: the connection ended under us. */
function unexpected(caught: unknown, state: ConnectionState): AttemptFailure {
  const message = caught instanceof Error ? ssh2Detail(caught) : printable(String(caught));
  return state.fail("reset", `the connection ended during ${state.reached} (${message})`);
}

function success(
  reached: Phase,
  detail: string,
  state: ConnectionState,
  extra: Partial<AttemptOutcome> = {},
): AttemptOutcome {
  return {
    ok: true,
    hop: "target",
    reached,
    detail,
    fatal: false,
    banner: state.banner,
    hostKey: state.hostKey,
    hostKeysSeen: state.hostKey ? [state.hostKey] : [],
    warnings: [],
    ...extra,
  };
}

/**
 * The default command's ready without cloud-init's work: not installed, or disabled (by its marker file, the
 * kernel command line, or its generator finding no datasource; `cloud-init status --long` says which).
 */
function cloudInitAbsent(output: string): string[] {
  if (output.includes(NO_CLOUD_INIT_MARKER))
    return ["cloud-init is not installed on the host: ready means a command ran"];
  if (/^status: disabled$/m.test(output)) {
    const why = /Cloud-init disabled by [^\n]*/.exec(output)?.[0];
    return [
      `cloud-init is disabled on the host${why ? ` (${printable(why.trim())})` : ""}: it does no work on this boot, and ready means a command ran`,
    ];
  }
  return [];
}

/**
 * Decides what the command's exit means. The default cloud-init wait: 0 is ready, 2 is ready with a warning
 * (recoverable errors), 1 is final (cloud-init crashed or failed critically: waiting cannot fix it), 3 with its
 * line is final (cloud-init did not run on this boot, and systemd is done starting it), anything else (no exit
 * status, 255) is retried. A custom command is ready on 0 and retried otherwise.
 */
function judgeCommand(
  opts: ResolvedOptions,
  state: ConnectionState,
  exitCode: number | null,
  output: string,
): AttemptOutcome {
  const base = { exitCode, output };
  const phase: Phase = opts.level === "auth" ? "auth" : "command";
  const what =
    opts.level === "auth"
      ? "`true`"
      : opts.isDefaultCommand
        ? "`cloud-init status --wait`"
        : "the command";
  const cloudInit = opts.level === "command" && opts.isDefaultCommand;
  if (exitCode === 0) {
    const warnings = cloudInit ? cloudInitAbsent(output) : [];
    return success(phase, `${what} exited 0`, state, { ...base, warnings });
  }
  if (cloudInit && exitCode === DID_NOT_RUN_EXIT && output.includes(DID_NOT_RUN_MARKER)) {
    return {
      ok: false,
      hop: "target",
      reached: phase,
      failure: "command-failed",
      detail: lastLine(output).replace(/^ssh-ready: /, ""),
      fatal: true,
      banner: state.banner,
      hostKey: state.hostKey,
      hostKeysSeen: state.hostKey ? [state.hostKey] : [],
      warnings: [],
      ...base,
    };
  }
  if (opts.level === "command" && opts.isDefaultCommand && exitCode === 2) {
    return success("command", "cloud-init finished with recoverable errors (exit 2)", state, {
      ...base,
      warnings: [
        `cloud-init finished with recoverable errors (exit 2): ${lastLine(output) || "no output"}`,
      ],
    });
  }
  const fatal = cloudInit && exitCode === 1;
  return {
    ok: false,
    hop: "target",
    reached: phase,
    failure: "command-failed",
    detail: `${what} ${exitCode === null ? "ended without an exit status" : `exited ${exitCode}`}${output ? `: ${lastLine(output)}` : ""}`,
    fatal,
    banner: state.banner,
    hostKey: state.hostKey,
    hostKeysSeen: state.hostKey ? [state.hostKey] : [],
    warnings: [],
    ...base,
  };
}
