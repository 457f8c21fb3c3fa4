// The wait loop with an injected clock and scripted attempts: deadlines, pacing, aborts, final failures.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AttemptContext, AttemptOutcome } from "../../components/readiness/attempt";
import type { FailureClass, Phase } from "../../components/readiness/classify";
import { HostKeyMismatchError, SshNotReadyError } from "../../components/readiness/errors";
import type { AttemptEvent } from "../../components/readiness/events";
import { describeHostKey, type HostKeyInfo } from "../../components/readiness/host-key";
import type { WaitForSshOptions } from "../../components/readiness/options";
import { resolveOptions } from "../../components/readiness/resolve";
import { MIN_ATTEMPT_MS, runWait } from "../../components/readiness/loop";
import { FakeClock } from "../support/fake-clock";
import { ed25519, sshKeygen } from "../support/keys";
import { utils } from "ssh2";

function keyInfo(publicLine: string): HostKeyInfo {
  const parsed = utils.parseKey(publicLine);
  if (parsed instanceof Error) throw parsed;
  return describeHostKey(parsed.getPublicSSH());
}

function failed(
  failure: FailureClass,
  reached: Phase,
  extra: Partial<AttemptOutcome> = {},
): AttemptOutcome {
  return {
    ok: false,
    hop: "target",
    reached,
    failure,
    detail: `${failure} detail`,
    fatal: false,
    hostKeysSeen: [],
    warnings: [],
    ...extra,
  };
}

function ready(extra: Partial<AttemptOutcome> = {}): AttemptOutcome {
  return {
    ok: true,
    hop: "target",
    reached: "auth",
    detail: "`true` exited 0",
    fatal: false,
    hostKeysSeen: [],
    warnings: [],
    ...extra,
  };
}

/** Runs the loop with attempts that each take `attemptMs` on the fake clock and follow `script`. */
async function waitWith(
  options: Partial<WaitForSshOptions>,
  script: (n: number, ctx: AttemptContext) => AttemptOutcome,
  {
    attemptMs = 1,
    clock = new FakeClock(),
    signal,
  }: { attemptMs?: number; clock?: FakeClock; signal?: AbortSignal } = {},
) {
  const events: AttemptEvent[] = [];
  /** Each attempt's context, with the time it had left when it started. */
  const contexts: (AttemptContext & { remainingMs: number })[] = [];
  const opts = resolveOptions({ host: "203.0.113.7", ...options });
  let n = 0;
  const promise = runWait(opts, {
    clock,
    signal,
    onAttempt: (e) => events.push(e),
    attempt: async (_opts, ctx) => {
      n += 1;
      contexts.push({ ...ctx, remainingMs: ctx.deadline.remainingMs() });
      clock.t += attemptMs;
      return script(n, ctx);
    },
  });
  return { promise, events, contexts, clock };
}

describe("runWait", () => {
  it("returns at the first ready attempt with the count and time waited", async () => {
    const { promise, clock } = await waitWith({ level: "tcp" }, (n) =>
      n < 4 ? failed("refused", "connect") : ready({ reached: "connect" }),
    );
    const result = await promise;
    assert.equal(result.attempts, 4);
    assert.deepEqual(clock.sleeps, [200, 200, 200]);
    assert.equal(result.waitedMs, 604);
    assert.equal(result.readyAt, "2026-01-01T00:00:00.604Z");
  });

  it("gives up at the deadline with per-class counts and an actionable message", async () => {
    const { promise, clock } = await waitWith({ level: "tcp", timeout: "10m" }, () =>
      failed("refused", "connect"),
    );
    const error = await promise.then(
      () => assert.fail("should not be ready"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof SshNotReadyError);
    assert.equal(error.code, "SSH_NOT_READY");
    assert.equal(error.reached, "connect");
    assert.equal(error.counts.refused, error.attempts);
    assert.equal(clock.t, 600_000);
    assert.equal(
      error.message,
      `sshd on 203.0.113.7:22 never answered: ${error.attempts} × connection refused over 10m0s ` +
        "(port closed: sshd not running yet, or the VM did not boot — check boot diagnostics). Last error: refused detail",
    );
  });

  it("never sleeps past the deadline and gives each attempt only the time left", async () => {
    const { promise, clock, contexts } = await waitWith(
      { level: "banner", timeout: "2500ms" },
      () => failed("reset", "banner"),
      { attemptMs: 100 },
    );
    await assert.rejects(promise, SshNotReadyError);
    assert.deepEqual(clock.sleeps, [1000, 1000, 200]);
    assert.deepEqual(
      contexts.map((c) => c.remainingMs),
      [2500, 1400, 300],
    );
    assert.equal(clock.t, 2500);
  });

  it("starts no attempt with too little time left, and gives up at the deadline even when timers fire early", async () => {
    // A clock whose sleeps end a little early, as Node's timers may: at most 1.5 ms, never more than half.
    class EarlyClock extends FakeClock {
      override async sleep(ms: number, signal?: AbortSignal): Promise<void> {
        await super.sleep(ms, signal);
        this.t -= Math.min(1.5, ms / 2);
      }
    }
    const clock = new EarlyClock();
    const { promise, contexts } = await waitWith(
      { level: "banner", timeout: "2500ms" },
      () => failed("reset", "banner"),
      { attemptMs: 100, clock },
    );
    const error = await promise.catch((e: unknown) => e);
    assert.ok(error instanceof SshNotReadyError);
    assert.ok(
      contexts.every((c) => c.remainingMs >= MIN_ATTEMPT_MS),
      contexts.map((c) => c.remainingMs).join(", "),
    );
    assert.ok(error.elapsedMs >= 2500, `gave up after ${error.elapsedMs} ms`);
    assert.match(error.message, / over 2\.5s /);
  });

  it("hands every attempt the wait's own clock", async () => {
    const clock = new FakeClock();
    const { promise, contexts } = await waitWith({ level: "banner" }, () => ready(), { clock });
    await promise;
    assert.equal(contexts[0].deadline.clock, clock);
  });

  it("reports every attempt once, with the pause that follows it", async () => {
    const { promise, events } = await waitWith({ level: "tcp" }, (n) =>
      n === 1
        ? failed("refused", "connect")
        : n === 2
          ? failed("reset", "banner")
          : ready({ reached: "connect" }),
    );
    await promise;
    assert.deepEqual(
      events.map((e) => [e.attempt, e.outcome, e.reached, e.nextDelayMs, e.startedMs, e.elapsedMs]),
      [
        [1, "refused", "connect", 200, 0, 1],
        [2, "reset", "banner", 1000, 201, 202],
        [3, "ready", "connect", undefined, 1202, 1203],
      ],
    );
  });

  it("rejects with the signal's reason when aborted during a pause, and makes no further attempt", async () => {
    const controller = new AbortController();
    const reason = new Error("stop now");
    const clock = new FakeClock();
    let attempts = 0;
    const opts = resolveOptions({ host: "203.0.113.7", level: "tcp" });
    const promise = runWait(opts, {
      clock,
      signal: controller.signal,
      attempt: async () => {
        attempts += 1;
        if (attempts === 3) controller.abort(reason);
        return failed("refused", "connect");
      },
    });
    await assert.rejects(promise, (e) => e === reason);
    assert.equal(attempts, 3);
  });

  it("does not start when the signal is already aborted", async () => {
    const { promise, contexts } = await waitWith({ level: "tcp" }, () => ready(), {
      signal: AbortSignal.abort("early"),
    });
    await assert.rejects(promise, (e) => e === "early");
    assert.equal(contexts.length, 0);
  });

  it("stops at once on a failure that waiting cannot fix", async () => {
    const key = ed25519();
    const { promise, contexts } = await waitWith(
      { level: "command", username: "azureuser", privateKey: key.private },
      () =>
        failed("command-failed", "command", {
          fatal: true,
          detail: "`cloud-init status --wait` exited 1: status: error",
          output: "status: error",
        }),
    );
    const error = await promise.catch((e: unknown) => e);
    assert.ok(error instanceof SshNotReadyError);
    assert.equal(error.code, "COMMAND_FAILED");
    assert.equal(contexts.length, 1);
    assert.match(
      error.message,
      /^cloud-init on 203\.0\.113\.7:22 failed \(`cloud-init status --wait` exited 1: status: error\) after 1ms; waiting longer will not help\./,
    );
    assert.match(error.message, /Output of cloud-init status:\n {2}\| status: error$/);
  });

  it("fails at once on a mismatch against a pinned full key, without a second attempt", async () => {
    const pinned = ed25519();
    const other = keyInfo(ed25519().public);
    const user = ed25519();
    const { promise, contexts } = await waitWith(
      { level: "auth", username: "u", privateKey: user.private, hostKeyPin: pinned.public },
      () =>
        failed("host-key-mismatch", "handshake", {
          fatal: true,
          hostKey: other,
          hostKeysSeen: [other],
        }),
    );
    const error = await promise.catch((e: unknown) => e);
    assert.ok(error instanceof HostKeyMismatchError);
    assert.equal(error.code, "HOST_KEY_MISMATCH");
    assert.deepEqual(error.presented, [other]);
    assert.equal(contexts.length, 1);
    assert.deepEqual(contexts[0].hostKeyAlgorithms, ["ssh-ed25519"]);
  });

  it("tries the other key types before a fingerprint pin's mismatch is final", async () => {
    const rsaHost = sshKeygen("rsa");
    const edHost = keyInfo(ed25519().public);
    const pin = keyInfo(rsaHost.public).fingerprint;
    const user = ed25519();
    const { promise, contexts } = await waitWith(
      { level: "auth", username: "u", privateKey: user.private, hostKeyPin: pin },
      (n, ctx) =>
        n === 1
          ? failed("host-key-mismatch", "handshake", {
              fatal: true,
              hostKey: edHost,
              hostKeysSeen: [edHost],
            })
          : ctx.hostKeyAlgorithms?.includes("ssh-ed25519")
            ? assert.fail("ed25519 offered again")
            : ready({ hostKey: keyInfo(rsaHost.public), hostKeysSeen: [keyInfo(rsaHost.public)] }),
    );
    const result = await promise;
    assert.equal(result.hostKeyFingerprint, pin);
    assert.equal(contexts[0].hostKeyAlgorithms, undefined);
    assert.equal(contexts[1].hostKeyAlgorithms?.[0], "ecdsa-sha2-nistp256");
  });

  it("ends a fingerprint pin's search with a mismatch when the server has no other key type, and says so", async () => {
    const edHost = keyInfo(ed25519().public);
    const user = ed25519();
    const pinned = keyInfo(ed25519().public).fingerprint;
    const { promise, contexts, events } = await waitWith(
      {
        level: "auth",
        username: "u",
        privateKey: user.private,
        hostKeyPin: pinned,
      },
      (n) =>
        n === 1
          ? failed("host-key-mismatch", "handshake", {
              fatal: true,
              hostKey: edHost,
              hostKeysSeen: [edHost],
            })
          : failed("handshake", "handshake", {
              detail: "Handshake failed: no matching host key format",
            }),
    );
    const error = await promise.catch((e: unknown) => e);
    assert.ok(error instanceof HostKeyMismatchError, String(error));
    assert.equal(contexts.length, 2);
    // The second attempt was the probe for the server's other key types: shown as such, not as a failed key
    // exchange.
    assert.deepEqual(
      events.map((e) => [e.outcome, e.detail]),
      [
        ["host-key-mismatch", "host-key-mismatch detail"],
        [
          "host-key-mismatch",
          "asked for the server's other host key types: it has none, only ssh-ed25519",
        ],
      ],
    );
    assert.equal(
      error.message,
      "host key mismatch on 203.0.113.7:22: the server presented no pinned host key, so nothing was sent beyond the key exchange.\n" +
        `  presented: ssh-ed25519 ${edHost.fingerprint}\n` +
        `  pinned:    ${pinned}\n` +
        "A different machine answers at this address, or the pin is out of date.",
    );
  });

  it("warns when the host key changed during an unpinned wait, and reports the last one", async () => {
    const first = keyInfo(ed25519().public);
    const second = keyInfo(ed25519().public);
    const user = ed25519();
    const { promise } = await waitWith(
      { level: "auth", username: "u", privateKey: user.private },
      (n) =>
        n === 1
          ? failed("auth-rejected", "auth", { hostKey: first, hostKeysSeen: [first] })
          : ready({ hostKey: second, hostKeysSeen: [second] }),
    );
    const result = await promise;
    assert.equal(result.hostKey, second.line);
    assert.equal(result.knownHostsLine, `203.0.113.7 ${second.line}`);
    assert.deepEqual(result.warnings, [
      `the host key changed during the wait: ssh-ed25519 ${first.fingerprint} → ssh-ed25519 ${second.fingerprint}; ` +
        "the last one is reported (expected when first boot regenerates keys; set hostKeyPin to rule out an impostor)",
    ]);
  });

  it("names the furthest phase reached in the message, not the last", async () => {
    const user = ed25519();
    const { promise } = await waitWith(
      { level: "auth", username: "azureuser", privateKey: user.private, timeout: "5s" },
      (n) => (n % 2 ? failed("auth-rejected", "auth") : failed("refused", "connect")),
    );
    const error = await promise.catch((e: unknown) => e);
    assert.ok(error instanceof SshNotReadyError);
    assert.equal(error.reached, "auth");
    assert.match(
      error.message,
      /^sshd on 203\.0\.113\.7:22 never accepted the key for user "azureuser": \d+ × key not accepted, \d+ × connection refused over 5\.0s/,
    );
  });

  it("says the readiness command succeeded when only the logins after it failed, never that sshd never answered", async () => {
    const user = ed25519();
    const { promise } = await waitWith(
      { level: "command", username: "azureuser", privateKey: user.private, timeout: "60s" },
      (n) =>
        n === 1
          ? failed("timeout", "connect", {
              commandSucceeded: true,
              exitCode: 0,
              output: "....\nstatus: done\n",
              detail: "confirming login after the command: no answer",
            })
          : failed("timeout", "connect"),
      { attemptMs: 15_000 },
    );
    const error = await promise.catch((e: unknown) => e);
    assert.ok(error instanceof SshNotReadyError);
    assert.equal(error.reached, "command");
    assert.match(
      error.message,
      /^azureuser@203\.0\.113\.7:22 ran the readiness command \(attempt 1\), but no new login worked after it \(did a provisioning step change the firewall, sshd or the authorized keys\?\): \d+ × no answer over 1m0s/,
    );
    assert.match(
      error.message,
      /\nLast output of the readiness command:\n(.*\n)* {2}\| status: done$/,
    );
  });

  it("keeps the key's offers evenly spaced: a connection that re-offered it is followed one offer interval later", async () => {
    const user = ed25519();
    // Each connection holds the key's offers for 1.2 s (offers 300 ms apart) and is refused.
    const { promise, events, contexts } = await waitWith(
      { level: "auth", username: "u", privateKey: user.private },
      (n, ctx) =>
        n <= 8 ? failed("auth-rejected", "auth", { keyOffers: ctx.keyOffers?.max }) : ready(),
      { attemptMs: 1200 },
    );
    await promise;
    assert.deepEqual(contexts[0].keyOffers, { max: 5, everyMs: 300 });
    assert.deepEqual(
      events.map((e) => e.nextDelayMs),
      // The polite pause (1 s) is spent while the connection is held, so the next comes one offer interval
      // after the last refusal; once the backoff has grown the pause beyond the connection, the rest is kept.
      [300, 300, 300, 300, 300, 300, 2250 - 1200, 3375 - 1200, undefined],
    );
  });

  it("paces a connection that offered the key once as any polite attempt", async () => {
    const user = ed25519();
    const { promise, events } = await waitWith(
      { level: "auth", username: "u", privateKey: user.private },
      (n) => (n === 1 ? failed("auth-rejected", "auth", { keyOffers: 1 }) : ready()),
      { attemptMs: 100 },
    );
    await promise;
    assert.equal(events[0].nextDelayMs, 1000);
  });

  it("leaves an attempt cut short by the deadline out of the counts and the last error, and ends at the deadline", async () => {
    const clock = new FakeClock();
    const { promise, events } = await waitWith(
      { level: "banner", timeout: "3s" },
      (n, ctx) => {
        if (n < 3)
          return failed("reset", "banner", { detail: "connection closed before the SSH banner" });
        // A phase timer set by the deadline may fire a few milliseconds before it: this one, 5 ms.
        clock.t += ctx.deadline.remainingMs() - 5;
        return failed("no-banner", "banner", {
          detail: "connected, but no SSH banner within 1ms",
          cutByDeadline: true,
        });
      },
      { clock },
    );
    const error = await promise.catch((e: unknown) => e);
    assert.ok(error instanceof SshNotReadyError);
    assert.deepEqual(error.counts, { reset: 2 });
    assert.equal(error.last.detail, "connection closed before the SSH banner");
    assert.equal(events.at(-1)?.cutByDeadline, true);
    assert.equal(events.at(-1)?.elapsedMs, 2995);
    assert.equal(error.elapsedMs, 3000);
    assert.match(error.message, / over 3\.0s /);
  });
});
