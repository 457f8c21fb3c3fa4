// Time as the engine sees it. Injected so schedules and deadlines are tested exactly and instantly.

export interface Clock {
  /** Milliseconds on a monotonic scale (only differences matter). */
  now(): number;
  /** Wall-clock time, for `readyAt`. */
  date(): Date;
  /** Resolves after `ms`; rejects with `signal.reason` as soon as the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A number in [0, 1) for jitter. */
  random(): number;
  /** Runs `fire` once `ms` have passed; returns the function that cancels it. */
  timer(ms: number, fire: () => void): () => void;
}

/** The longest delay Node's timers hold; a longer one would fire after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => performance.now(),
  date: () => new Date(),
  random: Math.random,
  /** As `sleep`: fires once `performance.now()` has moved by `ms`, never early, whatever `ms`. */
  timer(ms, fire) {
    const until = performance.now() + ms;
    let timer: NodeJS.Timeout | undefined = undefined;
    let arm: () => void = () => undefined;
    arm = () => {
      const left = until - performance.now();
      if (left <= 0) return fire();
      timer = setTimeout(arm, Math.min(Math.ceil(left), MAX_TIMER_MS));
    };
    arm();
    return () => clearTimeout(timer);
  },
  /**
   * Sleeps until `performance.now()` has moved by `ms`: timers may fire a little early, and cannot hold more
   * than about 24.8 days, so the sleep re-arms until the time has really passed.
   */
  sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const until = performance.now() + ms;
      let timer: NodeJS.Timeout | undefined = undefined;
      let arm: () => void = () => undefined;
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      arm = () => {
        const left = until - performance.now();
        if (left <= 0) {
          signal?.removeEventListener("abort", onAbort);
          return resolve();
        }
        timer = setTimeout(arm, Math.min(Math.ceil(left), MAX_TIMER_MS));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      arm();
    });
  },
};
