// The building block of an attempt: wait for one event with a time limit and an AbortSignal, and a
// register of everything opened so that every exit path closes it.
import type { FailureClass, Phase } from "./classify";
import type { HostKeyInfo } from "./host-key";
import type { Limit } from "./deadline";
import { printable } from "./printable";

/** The keys a server presented that its pin refused, for a mismatch that is final. */
export interface Mismatch {
  presented: HostKeyInfo[];
  expected: string;
}

/**
 * Why one attempt ended without success. `detail` never contains secrets; it often quotes the server (a
 * DISCONNECT reason, a command's last line), so it is made one line here, every control character escaped.
 */
export class AttemptFailure extends Error {
  /** Set when a time limit ended the step, rather than an answer from the server. */
  timedOut = false;
  /** Set when that limit was the overall deadline's (the step's own limit was longer than the time left). */
  cutByDeadline = false;
  /** Set on a final host key mismatch of the jump host (the target's are collected by the wait). */
  mismatch?: Mismatch;

  constructor(
    readonly failure: FailureClass,
    readonly reached: Phase,
    detail: string,
    readonly hop: "target" | "jump" = "target",
    /** True when waiting longer cannot help (the wait ends at once). */
    readonly fatal = false,
  ) {
    super(printable(detail));
    // Set again: in the serialized Pulumi provider, `super` becomes `Error.call(this, …)`, which sets nothing.
    this.message = printable(detail);
    this.name = "AttemptFailure";
  }
}

/** Things to close when an attempt (or a wait) ends, closed last-opened first; close errors are ignored. */
export class Resources {
  private readonly closers: (() => void)[] = [];

  add(close: () => void): void {
    this.closers.push(close);
  }

  closeAll(): void {
    for (const close of this.closers.splice(0).reverse()) {
      try {
        close();
      } catch {
        // Already closed.
      }
    }
  }
}

/**
 * Runs `start` and settles with the first of: its `resolve`/`reject`, `onTimeout()` after the limit (on the
 * wait's clock; the failure says whether the deadline set it), or the signal's reason on abort. `settled()`
 * tells late callbacks that nobody listens any more.
 */
export function step<T>(
  signal: AbortSignal | undefined,
  limit: Limit,
  onTimeout: () => Error,
  start: (
    resolve: (value: T) => void,
    reject: (error: Error) => void,
    settled: () => boolean,
  ) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // Declared before the closures that use it: Pulumi's closure serializer rejects a use before the declaration.
    let cancelTimer: () => void = () => undefined;
    let onAbort: () => void = () => undefined;
    let done = false;
    const finish = () => {
      done = true;
      cancelTimer();
      signal?.removeEventListener("abort", onAbort);
    };
    onAbort = () => {
      if (done) return;
      finish();
      reject(signal?.reason);
    };
    cancelTimer = limit.timer(limit.ms, () => {
      if (done) return;
      finish();
      const error = onTimeout();
      if (error instanceof AttemptFailure) {
        error.timedOut = true;
        error.cutByDeadline = limit.byDeadline;
      }
      reject(error);
    });
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      start(
        (value) => {
          if (done) return;
          finish();
          resolve(value);
        },
        (error) => {
          if (done) return;
          finish();
          reject(error);
        },
        () => done,
      );
    } catch (error) {
      finish();
      reject(error);
    }
  });
}
