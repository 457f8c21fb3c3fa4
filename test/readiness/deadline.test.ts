// The one deadline: each step's limit comes from it, on the wait's clock, and a step the deadline cut says so
// itself (no guess from how close to the deadline it ended).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { systemClock } from "../../components/readiness/clock";
import { Deadline } from "../../components/readiness/deadline";
import { AttemptFailure, step } from "../../components/readiness/step";
import { FakeClock } from "../support/fake-clock";

const timeout = () => new AttemptFailure("timeout", "connect", "no answer");

describe("the deadline", () => {
  it("gives a step its own limit while there is time, and the time left, marked as the deadline's, after", async () => {
    const clock = new FakeClock();
    const deadline = new Deadline(clock, 10_000);
    assert.deepEqual([deadline.limit(3000).ms, deadline.limit(3000).byDeadline], [3000, false]);
    await clock.sleep(8000);
    assert.deepEqual([deadline.limit(3000).ms, deadline.limit(3000).byDeadline], [2000, true]);
    assert.equal(deadline.elapsedMs(), 8000);
    await clock.sleep(5000);
    assert.equal(deadline.remainingMs(), 0);
    assert.equal(deadline.limit(3000).ms, 1, "at least a millisecond, so a timer can run");
  });

  it("ends a step on the wait's clock, and the failure says whether the deadline cut it", async () => {
    for (const [left, byDeadline] of [
      [10_000, false],
      [2000, true],
    ] as const) {
      const clock = new FakeClock();
      const deadline = new Deadline(clock, left);
      const ending = step<void>(undefined, deadline.limit(3000), timeout, () => undefined);
      const outcome = ending.catch((error: unknown) => error);
      await clock.sleep(Math.min(left, 3000) - 1);
      await clock.sleep(1);
      const error = await outcome;
      assert.ok(error instanceof AttemptFailure);
      assert.equal(error.timedOut, true);
      assert.equal(error.cutByDeadline, byDeadline, `${left} ms left`);
    }
  });

  it("never fires a system timer early, whatever Node's timers do", async () => {
    for (const ms of [1, 15, 40]) {
      const started = performance.now();
      const firedAt = await new Promise<number>((resolve) =>
        systemClock.timer(ms, () => resolve(performance.now())),
      );
      assert.ok(firedAt - started >= ms, `${ms} ms timer fired after ${firedAt - started} ms`);
    }
    let fired = false;
    const cancel = systemClock.timer(5, () => (fired = true));
    cancel();
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(fired, false, "a cancelled timer does not fire");
  });
});
