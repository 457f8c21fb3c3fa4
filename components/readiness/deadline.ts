// The one deadline of a wait, made once from its timeout on the wait's clock: every phase, step and pause asks
// it how long it may take, and learns whether the deadline, not its own limit, is what would end it.
import type { Clock } from "./clock";

/** How long one step may wait, and whether the deadline set that (not the step's own limit). */
export interface Limit {
  ms: number;
  byDeadline: boolean;
  /** Runs `fire` after `ms` on the wait's clock; returns the cancel. */
  timer(ms: number, fire: () => void): () => void;
}

export class Deadline {
  readonly startMs: number;
  readonly endMs: number;

  constructor(
    readonly clock: Clock,
    timeoutMs: number,
  ) {
    this.startMs = clock.now();
    this.endMs = this.startMs + timeoutMs;
  }

  elapsedMs(): number {
    return this.clock.now() - this.startMs;
  }

  /** Time left, never negative. */
  remainingMs(): number {
    return Math.max(0, this.endMs - this.clock.now());
  }

  /** A step's limit: `limitMs`, or the time left when that is less (at least 1 ms, so a timer can run). */
  limit(limitMs: number): Limit {
    const left = this.endMs - this.clock.now();
    const timer = (ms: number, fire: () => void) => this.clock.timer(ms, fire);
    return left < limitMs
      ? { ms: Math.max(1, left), byDeadline: true, timer }
      : { ms: limitMs, byDeadline: false, timer };
  }

  /** Resolves once the deadline has passed on the clock; rejects with the signal's reason on abort. */
  async reached(signal?: AbortSignal): Promise<void> {
    for (let left = this.remainingMs(); left > 0; left = this.remainingMs())
      await this.clock.sleep(left, signal);
  }
}
