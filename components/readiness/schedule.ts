// When to try again. Fast while the port refuses (an RST costs sshd nothing), polite once sshd answers
// (one connection at a time, ≥ 1 s apart, exponential backoff with jitter): MaxStartups and fail2ban
// punish aggressive pollers.
import { CLASS_INFO, phaseRank, type FailureClass, type Phase } from "./classify";

/**
 * Retry pacing as `waitForSsh` takes it: the pauses are durations like every other time option (seconds, or
 * "200ms"). Each key is optional; unknown keys are refused.
 */
export interface ScheduleInput {
  /** Pause after an attempt that cost the server nothing (refused, no answer). Defaults to "200ms". */
  fastInterval?: number | string;
  /** First pause after an attempt that reached sshd; also the least pause. Defaults to "1s". */
  politeInterval?: number | string;
  /** The longest pause. Defaults to "10s". */
  maxInterval?: number | string;
  /** Polite attempts at the least pause before the pause starts to grow: an integer, 0–100. Defaults to 5. */
  steadyAttempts?: number;
  /** Growth of the polite pause per failed attempt after the steady ones: 1–10. Defaults to 1.5. */
  backoffFactor?: number;
  /** Relative random spread of each pause, 0–1 (0.2 = ±20 %). Defaults to 0.2. */
  jitter?: number;
}

/** The schedule resolved: pauses in milliseconds. */
export interface ScheduleOptions {
  /** Pause after an attempt that cost the server nothing (refused, no answer). Defaults to 200 ms. */
  fastIntervalMs: number;
  /** First pause after an attempt that reached sshd; also the least pause. Defaults to 1000 ms. */
  politeIntervalMs: number;
  /** The longest pause. Defaults to 10000 ms. */
  maxIntervalMs: number;
  /**
   * Polite attempts at the least pause before the pause starts to grow: keys are often written seconds after
   * sshd starts, and one connection a second is still polite. Defaults to 5.
   */
  steadyAttempts: number;
  /** Growth of the polite pause per failed attempt after the steady ones. Defaults to 1.5. */
  backoffFactor: number;
  /** Relative random spread of each pause, 0–1 (0.2 = ±20 %, never below the polite minimum). Defaults to 0.2. */
  jitter: number;
}

export const DEFAULT_SCHEDULE: ScheduleOptions = {
  fastIntervalMs: 200,
  politeIntervalMs: 1000,
  maxIntervalMs: 10_000,
  steadyAttempts: 5,
  backoffFactor: 1.5,
  jitter: 0.2,
};

/**
 * The retry schedule of one wait. `next()` returns the pause before the next attempt. The polite pause stays at
 * its minimum for `steadyAttempts`, then grows; it starts again from the minimum whenever an attempt gets
 * further than any before it (e.g. from "connection
 * closed" to "key not accepted"), because the server has made progress.
 */
export class RetrySchedule {
  private politeFailures = 0;
  private furthest = -1;

  constructor(
    private readonly options: ScheduleOptions,
    private readonly random: () => number,
  ) {}

  next(failure: FailureClass, reached: Phase): number {
    const {
      fastIntervalMs,
      politeIntervalMs,
      maxIntervalMs,
      steadyAttempts,
      backoffFactor,
      jitter,
    } = this.options;
    const rank = phaseRank(reached);
    if (rank > this.furthest) {
      this.furthest = rank;
      this.politeFailures = 0;
    }
    const spread = 1 + jitter * (2 * this.random() - 1);
    if (!CLASS_INFO[failure].costsServer) {
      return Math.round(Math.min(maxIntervalMs, fastIntervalMs * spread));
    }
    const growth = Math.max(0, this.politeFailures - steadyAttempts + 1);
    const base = Math.min(maxIntervalMs, politeIntervalMs * backoffFactor ** growth);
    this.politeFailures += 1;
    return Math.round(Math.min(maxIntervalMs, Math.max(politeIntervalMs, base * spread)));
  }
}
