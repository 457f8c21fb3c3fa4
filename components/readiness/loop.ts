// The wait loop: attempt, classify, pause as the schedule says, until ready, a deadline, a failure that
// waiting cannot fix, or an abort. Time and the attempt itself are injected so the loop is tested exactly.
import type { FailureClass, Phase } from "./classify";
import { phaseRank } from "./classify";
import type { Clock } from "./clock";
import { JumpSession } from "./connect";
import { Deadline } from "./deadline";
import {
  HostKeyMismatchError,
  SshNotReadyError,
  type ConsoleReport,
  type LastFailure,
  type SshNotReadyCode,
} from "./errors";
import type { AttemptEvent, CommandStartEvent, SshReadyResult } from "./events";
import {
  endpoint,
  HOST_KEY_TYPES,
  hostKeyAlgorithmsFor,
  HostKeyPin,
  knownHostsLine,
  type HostKeyInfo,
} from "./host-key";
import { consoleHostKeys, consoleTail, earlierHostKeyRecord } from "./console";
import type { ConsoleReader } from "./console-log";
import type { ResolvedOptions } from "./resolve";
import { RetrySchedule } from "./schedule";
import type { AttemptFunction, AttemptOutcome } from "./attempt";
import { summarizeFatal, summarizeMismatch, summarizeTimeout, type SummaryInput } from "./summary";

/**
 * Offers of the key on one connection before it is closed: sshd counts each refusal toward MaxAuthTries (6 by
 * default) and ends the connection at that count, logging "maximum authentication attempts exceeded". A server
 * that does so at fewer is met with fewer from then on.
 */
export const KEY_OFFERS = 5;
/** How long one connection keeps offering the key, in polite intervals. */
const REOFFER_SPAN = 1.2;

/** A wait that gives up reads the VM's console for at most this long after its deadline. */
export const CONSOLE_READ_MS = 10_000;

/** Less time than this left before the deadline is not worth an attempt: it could only be cut short. */
export const MIN_ATTEMPT_MS = 50;

export interface WaitDependencies {
  clock: Clock;
  signal?: AbortSignal;
  onAttempt?: (event: AttemptEvent) => void;
  onCommandStart?: (event: CommandStartEvent) => void;
  attempt: AttemptFunction;
  /** Reads the VM's console (`serialLog`): for `hostKeyPin: "console"`, and for the tail of a wait that gives up. */
  readConsole?: ConsoleReader;
}

export async function runWait(
  opts: ResolvedOptions,
  deps: WaitDependencies,
): Promise<SshReadyResult> {
  deps.signal?.throwIfAborted();
  return new Wait(opts, deps).run();
}

/** What the next attempt is: a connection with these options, or (no host keys to pin yet) none at all. */
type NextAttempt = { opts: ResolvedOptions } | { notConnected: AttemptOutcome };

/** One wait: its deadline, its pacing, and what its attempts found so far. */
class Wait {
  /** The one deadline: every attempt, phase and pause asks it how long it may take. */
  private readonly deadline: Deadline;
  private readonly schedule: RetrySchedule;
  private readonly jump: JumpSession | undefined;
  private readonly counts: Partial<Record<FailureClass, number>> = {};
  private readonly seenKeys: HostKeyInfo[] = [];
  private readonly mismatched: HostKeyInfo[] = [];
  private readonly excludedKeyTypes: string[] = [];
  private furthest: Phase = "connect";
  private attempts = 0;
  private lastOutput: string | undefined;
  /** The last attempt counted: what a deadline that cuts the next one reports. */
  private lastCounted: AttemptOutcome | undefined;
  /** The last attempt whose readiness command succeeded but whose confirming login failed. */
  private commandSucceededIn: number | undefined;
  /** Key offers per connection: fewer once a server ends a connection at fewer (MaxAuthTries). */
  private keyOffers = KEY_OFFERS;
  /** The pin of the latest attempt: the options' own, or with `hostKeyPin: "console"` the console's keys then. */
  private pin: HostKeyPin | undefined;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly deps: WaitDependencies,
  ) {
    this.deadline = new Deadline(deps.clock, opts.timeoutMs);
    this.schedule = new RetrySchedule(opts.schedule, () => deps.clock.random());
    this.jump = opts.jumpHost ? new JumpSession(opts.jumpHost, opts.lookup) : undefined;
    this.pin = opts.pin;
  }

  /**
   * With `hostKeyPin: "console"`, the options of the next attempt: pinned to the host keys the console shows in
   * this boot now; or, while it shows none, the attempt that did not connect (nothing is sent to a server whose
   * key cannot be checked).
   */
  private async consolePinned(): Promise<NextAttempt> {
    const read = await this.deps.readConsole!();
    const keys = read.text === undefined ? undefined : consoleHostKeys(read.text);
    if (!keys)
      return {
        notConnected: {
          ok: false,
          hop: "target",
          reached: "connect",
          failure: "no-console-keys",
          detail:
            read.unavailable !== undefined
              ? `the console cannot be read (${read.source}: ${read.unavailable})`
              : earlierHostKeyRecord(read.text!)
                ? `the ${read.source} shows host keys for an earlier boot only: cloud-init prints them on an instance's first boot, not after a reboot (pin the key an earlier wait verified)`
                : `the ${read.source} shows no host keys for this boot yet`,
          fatal: false,
          hostKeysSeen: [],
          warnings: [],
        },
      };
    this.pin = HostKeyPin.parse(
      keys.map((k) => k.line),
      "the console's host keys",
    );
    return { opts: { ...this.opts, pin: this.pin } };
  }

  async run(): Promise<SshReadyResult> {
    const { opts, deps, deadline } = this;
    try {
      for (;;) {
        this.attempts += 1;
        const startedMs = deadline.elapsedMs();
        const offers = this.offers();
        const next = opts.consolePin ? await this.consolePinned() : { opts };
        const attempted =
          "notConnected" in next
            ? next.notConnected
            : await deps.attempt(next.opts, {
                signal: deps.signal,
                deadline,
                jump: this.jump,
                hostKeyAlgorithms: hostKeyAlgorithmsFor(next.opts.pin, this.excludedKeyTypes),
                keyOffers: offers,
                onCommandStart: () =>
                  deps.onCommandStart?.({
                    attempt: this.attempts,
                    elapsedMs: Math.round(deadline.elapsedMs()),
                    command: opts.command,
                  }),
              });
        const outcome = this.probed(attempted);
        this.note(outcome);
        const event = this.eventOf(outcome, startedMs);
        if (outcome.ok) {
          deps.onAttempt?.(event);
          return result(
            { ...opts, pin: this.pin },
            outcome,
            this.seenKeys,
            this.attempts,
            deadline.elapsedMs(),
            deps.clock.date(),
          );
        }
        if (outcome.cutByDeadline && this.lastCounted) {
          deps.onAttempt?.(event);
          throw await this.atDeadline(this.lastCounted);
        }
        const failure = outcome.failure ?? "timeout";
        this.counts[failure] = (this.counts[failure] ?? 0) + 1;
        this.lastCounted = outcome;
        const final = this.finalCode(outcome, failure);
        if (final) {
          deps.onAttempt?.(event);
          throw await this.error(final, outcome);
        }
        if (outcome.authLimitHit) this.keyOffers = Math.max(1, (outcome.keyOffers ?? 1) - 1);
        const delay = this.pause(outcome, failure, offers, startedMs);
        const remaining = deadline.remainingMs();
        if (remaining >= MIN_ATTEMPT_MS) event.nextDelayMs = Math.min(delay, remaining);
        deps.onAttempt?.(event);
        if (remaining >= MIN_ATTEMPT_MS)
          await deps.clock.sleep(Math.min(delay, remaining), deps.signal);
        // No attempt starts with too little time to mean anything.
        if (deadline.remainingMs() < MIN_ATTEMPT_MS) throw await this.atDeadline(outcome);
      }
    } finally {
      this.jump?.close();
    }
  }

  /**
   * The key offers of the next connection. Re-offering spreads over a little more than one polite interval (a
   * hand loop's pause plus its login), and the next connection comes one offer interval after the last
   * refusal: offers stay evenly spaced, and connections come further apart than a polite reconnect's.
   */
  private offers(): { max: number; everyMs: number } | undefined {
    const span = REOFFER_SPAN * this.opts.schedule.politeIntervalMs;
    const max = this.keyOffers;
    return max > 1 ? { max, everyMs: Math.round(span / (max - 1)) } : undefined;
  }

  /** What an attempt found that outlasts it: the furthest phase, host keys, command output. */
  private note(outcome: AttemptOutcome): void {
    if (outcome.hop === "target" && phaseRank(outcome.reached) > phaseRank(this.furthest))
      this.furthest = outcome.reached;
    for (const key of outcome.hostKeysSeen) {
      if (this.seenKeys.at(-1)?.fingerprint !== key.fingerprint) this.seenKeys.push(key);
    }
    if (outcome.output !== undefined) this.lastOutput = outcome.output;
    if (outcome.commandSucceeded) {
      this.commandSucceededIn = this.attempts;
      this.furthest = "command";
    }
  }

  private eventOf(outcome: AttemptOutcome, startedMs: number): AttemptEvent {
    return {
      attempt: this.attempts,
      hop: outcome.hop,
      outcome: outcome.ok ? "ready" : (outcome.failure ?? "timeout"),
      reached: outcome.reached,
      startedMs: Math.round(startedMs),
      elapsedMs: Math.round(this.deadline.elapsedMs()),
      timestamp: this.deps.clock.now(),
      detail: outcome.detail,
      serverBanner: outcome.banner,
      hostKeyFingerprint: outcome.hostKey?.fingerprint,
      exitCode: outcome.exitCode,
      cutByDeadline: outcome.cutByDeadline,
    };
  }

  /**
   * After a fingerprint pin's mismatch, the next attempt asks only for the server's other key types: a server
   * without any ends that handshake with ssh2's "no matching host key format". That is the mismatch confirmed,
   * and is said so, not shown as a failed key exchange.
   */
  private probed(outcome: AttemptOutcome): AttemptOutcome {
    if (
      outcome.ok ||
      outcome.failure !== "handshake" ||
      outcome.hop !== "target" ||
      this.mismatched.length === 0 ||
      !/no matching host key format/i.test(outcome.detail)
    )
      return outcome;
    const types = [...new Set(this.mismatched.map((k) => k.type))].join(", ");
    return {
      ...outcome,
      failure: "host-key-mismatch",
      detail: `asked for the server's other host key types: it has none, only ${types}`,
    };
  }

  /**
   * The code of a failure that waiting cannot fix, or undefined to go on. A fingerprint pin does not say which
   * key type it is for: a mismatch on one type means "not this type", so the other types are tried before the
   * mismatch is final. Full-key pins are final at once; so is the jump host's mismatch (its session has tried
   * the jump host's other key types already).
   */
  private finalCode(outcome: AttemptOutcome, failure: FailureClass): SshNotReadyCode | undefined {
    if (failure === "host-key-mismatch" && outcome.hop === "jump") return "HOST_KEY_MISMATCH";
    let keyTypesLeft = false;
    if (failure === "host-key-mismatch" && outcome.hostKey) {
      this.mismatched.push(outcome.hostKey);
      if (this.pin && !this.pin.onlyFullKeys) {
        this.excludedKeyTypes.push(outcome.hostKey.type);
        keyTypesLeft = HOST_KEY_TYPES.some((type) => !this.excludedKeyTypes.includes(type));
      }
    }
    if (
      (failure === "host-key-mismatch" && !keyTypesLeft) ||
      (failure === "handshake" && this.mismatched.length > 0 && outcome.hop === "target")
    )
      return "HOST_KEY_MISMATCH";
    if (outcome.fatal && failure !== "host-key-mismatch")
      return failure === "forwarding-refused" ? "FORWARDING_REFUSED" : "COMMAND_FAILED";
    return undefined;
  }

  /**
   * The pause before the next attempt, as the schedule says. A connection that kept re-offering the key was a
   * polite wait itself: the next starts that much sooner, but one offer interval after the last refusal, not
   * at once: the new connection offers the key as soon as it is up, and an offer a moment after a refused one
   * would only spend a connection early.
   */
  private pause(
    outcome: AttemptOutcome,
    failure: FailureClass,
    offers: { everyMs: number } | undefined,
    startedMs: number,
  ): number {
    const delay = this.schedule.next(failure, outcome.reached);
    if (offers && (outcome.keyOffers ?? 0) > 1)
      return Math.max(offers.everyMs, delay - (this.deadline.elapsedMs() - startedMs));
    return delay;
  }

  /**
   * The timeout's error, once the deadline is reached: the wait gives up at the deadline, not before it, so
   * the message never says less than the timeout the user set (the attempts' timers run on the same clock, so
   * an attempt the deadline cut ends at it).
   */
  private async atDeadline(outcome: AttemptOutcome): Promise<SshNotReadyError> {
    await this.deadline.reached(this.deps.signal);
    return this.error("SSH_NOT_READY", outcome);
  }

  /**
   * What the console says of a wait that gives up: the current boot's lines that matter, or why it cannot. The
   * read comes after the deadline, so it gets CONSOLE_READ_MS at most, and ends at once on abort (the wait then
   * rejects with the signal's reason, as everywhere).
   */
  private async consoleReport(): Promise<ConsoleReport | undefined> {
    if (!this.deps.readConsole) return undefined;
    const stop = new AbortController();
    const cancel = this.deps.clock.timer(CONSOLE_READ_MS, () => stop.abort());
    const abort = () => stop.abort();
    this.deps.signal?.addEventListener("abort", abort);
    try {
      const read = await this.deps.readConsole(stop.signal);
      this.deps.signal?.throwIfAborted();
      if (read.text !== undefined) return { source: read.source, tail: consoleTail(read.text) };
      return {
        source: read.source,
        unavailable: stop.signal.aborted
          ? `no answer in ${CONSOLE_READ_MS / 1000} s`
          : read.unavailable,
      };
    } finally {
      cancel();
      this.deps.signal?.removeEventListener("abort", abort);
    }
  }

  private async error(code: SshNotReadyCode, outcome: AttemptOutcome): Promise<SshNotReadyError> {
    const { opts, jump } = this;
    const last: LastFailure = {
      class: outcome.failure ?? "timeout",
      phase: outcome.reached,
      hop: outcome.hop,
      detail: outcome.detail,
    };
    const details = {
      code,
      host: opts.host,
      port: opts.port,
      reached: this.furthest,
      attempts: this.attempts,
      counts: { ...this.counts },
      last,
      elapsedMs: this.deadline.elapsedMs(),
      commandOutput: this.lastOutput,
    };
    if (code === "HOST_KEY_MISMATCH") {
      // The jump host's mismatch comes whole from its session; the target's is collected here.
      const jumpMismatch = outcome.hop === "jump" ? outcome.mismatch : undefined;
      const presented = jumpMismatch?.presented ?? this.mismatched;
      const expected = jumpMismatch?.expected ?? this.pin?.describe() ?? "";
      const where = jumpMismatch ? `jump host ${jump?.label}` : endpoint(opts.host, opts.port);
      return new HostKeyMismatchError(
        summarizeMismatch(where, presented, expected),
        details,
        presented,
        expected,
      );
    }
    const console = await this.consoleReport();
    const input: SummaryInput = {
      ...details,
      console,
      consolePin: opts.consolePin,
      username: opts.username,
      level: opts.level,
      jump: jump?.label,
      furthest: this.furthest,
      commandSucceededIn: this.commandSucceededIn,
    };
    return new SshNotReadyError(
      code === "SSH_NOT_READY" ? summarizeTimeout(input) : summarizeFatal(input),
      { ...details, console },
    );
  }
}

function result(
  opts: ResolvedOptions,
  outcome: AttemptOutcome,
  seenKeys: HostKeyInfo[],
  attempts: number,
  waitedMs: number,
  now: Date,
): SshReadyResult {
  const key = outcome.hostKey;
  const warnings = [...outcome.warnings];
  if (!opts.pin && new Set(seenKeys.map((k) => k.fingerprint)).size > 1) {
    warnings.push(
      `the host key changed during the wait: ${seenKeys.map((k) => `${k.type} ${k.fingerprint}`).join(" → ")}; ` +
        "the last one is reported (expected when first boot regenerates keys; set hostKeyPin to rule out an impostor)",
    );
  }
  return {
    host: opts.host,
    port: opts.port,
    username: opts.level === "auth" || opts.level === "command" ? opts.username : undefined,
    level: opts.level,
    serverBanner: outcome.banner,
    hostKey: key?.line,
    hostKeyFingerprint: key?.fingerprint,
    knownHostsLine: key ? knownHostsLine(opts.host, opts.port, key) : undefined,
    readyAt: now.toISOString(),
    waitedMs: Math.round(waitedMs),
    attempts,
    warnings,
    command:
      opts.level === "command" && outcome.exitCode !== undefined && outcome.exitCode !== null
        ? { exitCode: outcome.exitCode, output: outcome.output ?? "" }
        : undefined,
    bootId: outcome.bootId,
  };
}
