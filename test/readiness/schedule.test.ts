import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_SCHEDULE, RetrySchedule } from "../../components/readiness/schedule";

const steady = () => 0.5; // no jitter: spread factor exactly 1

describe("RetrySchedule", () => {
  it("polls every 200 ms while the port refuses", () => {
    const schedule = new RetrySchedule(DEFAULT_SCHEDULE, steady);
    const delays = Array.from({ length: 5 }, () => schedule.next("refused", "connect"));
    assert.deepEqual(delays, [200, 200, 200, 200, 200]);
  });

  it("keeps polling fast after a connect timeout (the attempt itself already waited)", () => {
    const schedule = new RetrySchedule(DEFAULT_SCHEDULE, steady);
    assert.equal(schedule.next("timeout", "connect"), 200);
  });

  it("once sshd answers, retries every second five times, then backs off by 1.5× to a 10 s cap", () => {
    const schedule = new RetrySchedule(DEFAULT_SCHEDULE, steady);
    const delays = Array.from({ length: 12 }, () => schedule.next("auth-rejected", "auth"));
    assert.deepEqual(
      delays,
      [1000, 1000, 1000, 1000, 1000, 1500, 2250, 3375, 5063, 7594, 10000, 10000],
    );
  });

  it("spreads fast polls by ±20 % jitter", () => {
    assert.equal(new RetrySchedule(DEFAULT_SCHEDULE, () => 0).next("refused", "connect"), 160);
    assert.equal(new RetrySchedule(DEFAULT_SCHEDULE, () => 1).next("refused", "connect"), 240);
  });

  it("never goes below the polite minimum or above the cap, whatever the jitter", () => {
    assert.equal(new RetrySchedule(DEFAULT_SCHEDULE, () => 0).next("reset", "banner"), 1000);
    assert.equal(new RetrySchedule(DEFAULT_SCHEDULE, () => 1).next("reset", "banner"), 1200);
    const high = new RetrySchedule(DEFAULT_SCHEDULE, () => 1);
    const delays = Array.from({ length: 12 }, () => high.next("reset", "banner"));
    assert.equal(Math.max(...delays), 10000);
  });

  it("starts the backoff again when an attempt gets further than any before", () => {
    const schedule = new RetrySchedule({ ...DEFAULT_SCHEDULE, steadyAttempts: 1 }, steady);
    assert.deepEqual(
      [
        schedule.next("reset", "banner"),
        schedule.next("reset", "banner"),
        schedule.next("reset", "banner"),
        schedule.next("auth-rejected", "auth"),
        schedule.next("auth-rejected", "auth"),
      ],
      [1000, 1500, 2250, 1000, 1500],
    );
  });

  it("goes back to fast polling when sshd stops listening again (restart)", () => {
    const schedule = new RetrySchedule({ ...DEFAULT_SCHEDULE, steadyAttempts: 1 }, steady);
    schedule.next("auth-rejected", "auth");
    assert.equal(schedule.next("refused", "connect"), 200);
    assert.equal(schedule.next("auth-rejected", "auth"), 1500);
  });

  it("treats DNS and unreachable answers politely (someone else's server answers them)", () => {
    const schedule = new RetrySchedule({ ...DEFAULT_SCHEDULE, steadyAttempts: 1 }, steady);
    assert.equal(schedule.next("dns", "connect"), 1000);
    assert.equal(schedule.next("unreachable", "connect"), 1500);
  });
});
