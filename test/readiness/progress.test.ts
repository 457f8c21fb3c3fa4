// The progress lines people read while a wait runs: one line per change of outcome, a "still" line while it
// does not change, a heartbeat while nothing happens (a long cloud-init), and the host key when first seen.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AttemptEvent } from "../../components/readiness/events";
import { CLOUD_INIT_COMMAND } from "../../components/readiness/options";
import { ProgressPrinter } from "../../components/readiness/progress";

function event(attempt: number, elapsedMs: number, more: Partial<AttemptEvent> = {}): AttemptEvent {
  return {
    attempt,
    hop: "target",
    outcome: "refused",
    reached: "connect",
    startedMs: elapsedMs,
    elapsedMs,
    timestamp: elapsedMs,
    detail: "connect ECONNREFUSED 10.0.0.4:22",
    ...more,
  };
}

function printer(options = {}) {
  const lines: string[] = [];
  return { lines, progress: new ProgressPrinter((l) => lines.push(l), options) };
}

describe("progress lines", () => {
  it("writes a change of outcome at once, then a 'still' line every repeat interval, with counts", () => {
    const { lines, progress } = printer({ repeatEveryMs: 1000 });
    for (let i = 0; i < 12; i++) progress.onAttempt(event(i + 1, i * 200));
    progress.onAttempt(
      event(13, 2600, { outcome: "auth-rejected", reached: "auth", detail: "denied" }),
    );
    assert.deepEqual(lines, [
      "+0.0s attempt 1: connection refused — sshd not listening yet (connect ECONNREFUSED 10.0.0.4:22)",
      "+1.0s attempt 6: still connection refused (6 attempts in 1.0s)",
      "+2.0s attempt 11: still connection refused (11 attempts in 2.0s)",
      "+2.6s attempt 13: key not accepted — authorized_keys not written yet, or wrong user or key (denied)",
    ]);
  });

  it("beats only when nothing was written for the interval, naming the last line", () => {
    const { lines, progress } = printer({ repeatEveryMs: 5000 });
    progress.heartbeat(4999);
    assert.deepEqual(lines, [], "not before anything is due");
    progress.heartbeat(5000);
    progress.onCommandStart({ attempt: 3, elapsedMs: 6000, command: CLOUD_INIT_COMMAND });
    progress.heartbeat(10_999);
    progress.heartbeat(11_000);
    assert.deepEqual(lines, [
      "+5.0s still waiting (last: starting)",
      "+6.0s attempt 3: logged in; waiting for `cloud-init status --wait`",
      "+11.0s still waiting (last: attempt 3: logged in; waiting for `cloud-init status --wait`)",
    ]);
  });

  it("shows each new host key once, the jump host's outcomes marked, and nothing for a cut attempt", () => {
    const { lines, progress } = printer({ prefix: "[vm] " });
    const key = { hostKeyFingerprint: "SHA256:abc", serverBanner: "SSH-2.0-OpenSSH_9.6" };
    progress.onAttempt(
      event(1, 0, { hop: "jump", outcome: "reset", reached: "banner", detail: "x" }),
    );
    progress.onAttempt(event(2, 300, { ...key, outcome: "auth-rejected", detail: "denied" }));
    progress.onAttempt(event(3, 600, { ...key, outcome: "auth-rejected", detail: "denied" }));
    progress.onAttempt(event(4, 900, { outcome: "timeout", cutByDeadline: true }));
    progress.onAttempt(
      event(5, 1200, { ...key, outcome: "ready", detail: "a session ran `true`" }),
    );
    assert.deepEqual(lines, [
      "[vm] +0.0s attempt 1: jump host: connection closed — sshd accepted and closed (starting, restarting, or MaxStartups) (x)",
      "[vm] +0.3s host key SHA256:abc (SSH-2.0-OpenSSH_9.6)",
      "[vm] +0.3s attempt 2: key not accepted — authorized_keys not written yet, or wrong user or key (denied)",
      "[vm] +1.2s attempt 5: ready — a session ran `true`",
    ]);
  });

  it("never lets the server's text drive the terminal", () => {
    const { lines, progress } = printer();
    progress.onAttempt(event(1, 0, { outcome: "not-ssh", detail: "HTTP/1.1 400\x1b[2J" }));
    assert.doesNotMatch(lines[0], /\x1b/); // eslint-disable-line no-control-regex -- the escape must be gone
  });
});
