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

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.t += ms;
    signal?.throwIfAborted();
  }
}
