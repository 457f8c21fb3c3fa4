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
  type LastFailure,
  type SshNotReadyCode,
} from "./errors";
import type { AttemptEvent, CommandStartEvent, SshReadyResult } from "./events";
import {
  endpoint,
  HOST_KEY_TYPES,
  hostKeyAlgorithmsFor,
  knownHostsLine,
  type HostKeyInfo,
} from "./host-key";
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

/** Less time than this left before the deadline is not worth an attempt: it could only be cut short. */
export const MIN_ATTEMPT_MS = 50;

export interface WaitDependencies {
  clock: Clock;
  signal?: AbortSignal;
  onAttempt?: (event: AttemptEvent) => void;
  onCommandStart?: (event: CommandStartEvent) => void;
  attempt: AttemptFunction;
}

export async function runWait(
  opts: ResolvedOptions,
  deps: WaitDependencies,
): Promise<SshReadyResult> {
  const { clock, signal } = deps;
  signal?.throwIfAborted();
  // The one deadline: every attempt, phase and pause asks it how long it may take.
  const deadline = new Deadline(clock, opts.timeoutMs);
  const schedule = new RetrySchedule(opts.schedule, () => clock.random());
  const counts: Partial<Record<FailureClass, number>> = {};
  const seenKeys: HostKeyInfo[] = [];
  const mismatched: HostKeyInfo[] = [];
  const excludedKeyTypes: string[] = [];
  const jump = opts.jumpHost ? new JumpSession(opts.jumpHost, opts.lookup) : undefined;
  let furthest: Phase = "connect";
  let attempts = 0;
  let lastOutput: string | undefined;
  let lastCounted: AttemptOutcome | undefined;
  /** The last attempt whose readiness command succeeded but whose confirming login failed. */
  let commandSucceededIn: number | undefined;

  const fail = (code: SshNotReadyCode, outcome: AttemptOutcome): SshNotReadyError => {
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
      reached: furthest,
      attempts,
      counts: { ...counts },
      last,
      elapsedMs: deadline.elapsedMs(),
      commandOutput: lastOutput,
    };
    if (code === "HOST_KEY_MISMATCH") {
      // The jump host's mismatch comes whole from its session; the target's is collected here.
      const jumpMismatch = outcome.hop === "jump" ? outcome.mismatch : undefined;
      const presented = jumpMismatch?.presented ?? mismatched;
      const expected = jumpMismatch?.expected ?? opts.pin?.describe() ?? "";
      const where = jumpMismatch ? `jump host ${jump?.label}` : endpoint(opts.host, opts.port);
      return new HostKeyMismatchError(
        summarizeMismatch(where, presented, expected),
        details,
        presented,
        expected,
      );
    }
    const input: SummaryInput = {
      ...details,
      username: opts.username,
      level: opts.level,
      jump: jump?.label,
      furthest,
      commandSucceededIn,
    };
    return new SshNotReadyError(
      code === "SSH_NOT_READY" ? summarizeTimeout(input) : summarizeFatal(input),
      details,
    );
  };

  // Re-offering spreads over a little more than one polite interval (a hand loop's pause plus its login), and
  // the next connection comes one offer interval after the last refusal: offers stay evenly spaced, and
  // connections come further apart than a polite reconnect's.
  let keyOffers = KEY_OFFERS;
  const span = REOFFER_SPAN * opts.schedule.politeIntervalMs;
  const offersOf = (max: number) =>
    max > 1 ? { max, everyMs: Math.round(span / (max - 1)) } : undefined;
  // The wait gives up at the deadline, not before it, so the message never says less than the timeout the
  // user set: the attempts' timers run on the same clock, so an attempt the deadline cut ends at it.
  const reachDeadline = () => deadline.reached(signal);

  try {
    for (;;) {
      attempts += 1;
      const startedMs = deadline.elapsedMs();
      const offers = offersOf(keyOffers);
      const outcome = await deps.attempt(opts, {
        signal,
        deadline,
        jump,
        hostKeyAlgorithms: hostKeyAlgorithmsFor(opts.pin, excludedKeyTypes),
        keyOffers: offers,
        onCommandStart: () =>
          deps.onCommandStart?.({
            attempt: attempts,
            elapsedMs: Math.round(deadline.elapsedMs()),
            command: opts.command,
          }),
      });
      if (outcome.hop === "target" && phaseRank(outcome.reached) > phaseRank(furthest))
        furthest = outcome.reached;
      for (const key of outcome.hostKeysSeen) {
        if (seenKeys.at(-1)?.fingerprint !== key.fingerprint) seenKeys.push(key);
      }
      if (outcome.output !== undefined) lastOutput = outcome.output;
      if (outcome.commandSucceeded) {
        commandSucceededIn = attempts;
        furthest = "command";
      }
      const event: AttemptEvent = {
        attempt: attempts,
        hop: outcome.hop,
        outcome: outcome.ok ? "ready" : (outcome.failure ?? "timeout"),
        reached: outcome.reached,
        startedMs: Math.round(startedMs),
        elapsedMs: Math.round(deadline.elapsedMs()),
        timestamp: clock.now(),
        detail: outcome.detail,
        serverBanner: outcome.banner,
        hostKeyFingerprint: outcome.hostKey?.fingerprint,
        exitCode: outcome.exitCode,
        cutByDeadline: outcome.cutByDeadline,
      };

      if (outcome.ok) {
        deps.onAttempt?.(event);
        return result(opts, outcome, seenKeys, attempts, deadline.elapsedMs(), clock.date());
      }
      const failure = outcome.failure ?? "timeout";
      if (outcome.cutByDeadline && lastCounted) {
        deps.onAttempt?.(event);
        await reachDeadline();
        throw fail("SSH_NOT_READY", lastCounted);
      }
      counts[failure] = (counts[failure] ?? 0) + 1;
      lastCounted = outcome;

      // A fingerprint pin does not say which key type it is for: a mismatch on one type means "not this
      // type", so the other types are tried before the mismatch is final. Full-key pins are final at once.
      let keyTypesLeft = false;
      if (failure === "host-key-mismatch" && outcome.hop === "jump") {
        // The jump session has tried the jump host's other key types already.
        deps.onAttempt?.(event);
        throw fail("HOST_KEY_MISMATCH", outcome);
      }
      if (failure === "host-key-mismatch" && outcome.hostKey) {
        mismatched.push(outcome.hostKey);
        if (opts.pin && !opts.pin.onlyFullKeys) {
          excludedKeyTypes.push(outcome.hostKey.type);
          keyTypesLeft = HOST_KEY_TYPES.some((type) => !excludedKeyTypes.includes(type));
        }
      }
      const mismatchFinal =
        (failure === "host-key-mismatch" && !keyTypesLeft) ||
        (failure === "handshake" && mismatched.length > 0 && outcome.hop === "target");
      if (mismatchFinal) {
        deps.onAttempt?.(event);
        throw fail("HOST_KEY_MISMATCH", outcome);
      }
      if (outcome.fatal && failure !== "host-key-mismatch") {
        deps.onAttempt?.(event);
        throw fail(
          failure === "forwarding-refused" ? "FORWARDING_REFUSED" : "COMMAND_FAILED",
          outcome,
        );
      }

      if (outcome.authLimitHit) keyOffers = Math.max(1, (outcome.keyOffers ?? 1) - 1);
      let delay = schedule.next(failure, outcome.reached);
      // A connection that kept re-offering the key was a polite wait itself: the next starts that much sooner,
      // but one offer interval after the last refusal, not at once: the new connection offers the key as soon
      // as it is up, and an offer a moment after a refused one would only spend a connection early.
      if (offers && (outcome.keyOffers ?? 0) > 1)
        delay = Math.max(offers.everyMs, delay - (deadline.elapsedMs() - startedMs));
      const remaining = deadline.remainingMs();
      if (remaining >= MIN_ATTEMPT_MS) event.nextDelayMs = Math.min(delay, remaining);
      deps.onAttempt?.(event);
      if (remaining >= MIN_ATTEMPT_MS) await clock.sleep(Math.min(delay, remaining), signal);
      // No attempt starts with too little time to mean anything.
      if (deadline.remainingMs() < MIN_ATTEMPT_MS) {
        await reachDeadline();
        throw fail("SSH_NOT_READY", outcome);
      }
    }
  } finally {
    jump?.close();
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
  };
}
