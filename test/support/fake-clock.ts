// A clock that only moves when the code under test sleeps: schedules are asserted exactly, in no time.
import type { Clock } from "../../components/readiness/clock";

export class FakeClock implements Clock {
  t = 0;
  readonly sleeps: number[] = [];

  constructor(public randomValue = 0.5) {}

  now(): number {
    return this.t;
  }

  date(): Date {
    return new Date(Date.UTC(2026, 0, 1) + this.t);
  }

  random(): number {
    return this.randomValue;
  }

  private readonly timers: { at: number; fire: () => void }[] = [];

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.t += ms;
    this.fireDue();
    signal?.throwIfAborted();
  }

  /** Fires when a sleep moves the clock past it. */
  timer(ms: number, fire: () => void): () => void {
    const entry = { at: this.t + ms, fire };
    this.timers.push(entry);
    return () => {
      const at = this.timers.indexOf(entry);
      if (at >= 0) this.timers.splice(at, 1);
    };
  }

  private fireDue(): void {
    for (const due of this.timers.filter((t) => t.at <= this.t).sort((a, b) => a.at - b.at)) {
      this.timers.splice(this.timers.indexOf(due), 1);
      due.fire();
    }
  }
}
