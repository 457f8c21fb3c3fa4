import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateVmArgs } from "../../components/azure/validate";
import { parseCommandLine } from "../../components/cli/args";
import { run } from "../../components/cli/ssh-ready";
import { systemClock } from "../../components/readiness/clock";
import {
  formatDuration,
  MAX_DURATION_MS,
  parseDuration,
  parseLimit,
} from "../../components/readiness/duration";
import { resolveOptions } from "../../components/readiness/resolve";
import { checkInputs, toWaitOptions } from "../../components/ssh-readiness/inputs";

describe("parseDuration", () => {
  it("reads unit parts and their sums", () => {
    assert.equal(parseDuration("90s", "t"), 90_000);
    assert.equal(parseDuration("10m", "t"), 600_000);
    assert.equal(parseDuration("1m30s", "t"), 90_000);
    assert.equal(parseDuration("500ms", "t"), 500);
    assert.equal(parseDuration("1h", "t"), 3_600_000);
    assert.equal(parseDuration("1.5s", "t"), 1500);
  });

  it("takes a bare number, or a number alone in text, as seconds", () => {
    assert.equal(parseDuration("30", "t"), 30_000);
    assert.equal(parseDuration(0.25, "t"), 250);
    assert.equal(parseDuration(2, "t"), 2000);
  });

  it("rejects negative durations with an InvalidOptionError naming the input", () => {
    assert.throws(() => parseDuration("-5s", "timeout"), {
      name: "InvalidOptionError",
      message: '[timeout] must not be negative, got "-5s"',
    });
    assert.throws(() => parseDuration(-1, "timeout"), {
      name: "InvalidOptionError",
      message: "[timeout] must not be negative, got -1",
    });
  });

  it("rejects unparsable text with an InvalidOptionError naming the input", () => {
    for (const text of ["", "ten minutes", "10x", "5s garbage", "m"]) {
      assert.throws(() => parseDuration(text, "attemptTimeout"), {
        name: "InvalidOptionError",
        message: `[attemptTimeout] is not a duration: "${text}" (write e.g. "90s", "10m", "1m30s", "2d" or a number of seconds)`,
      });
    }
    assert.throws(() => parseDuration({}, "timeout"), { name: "InvalidOptionError" });
  });
});

describe("formatDuration", () => {
  it("prints short, readable durations", () => {
    assert.equal(formatDuration(250), "250ms");
    assert.equal(formatDuration(3240), "3.2s");
    assert.equal(formatDuration(600_000), "10m0s");
    assert.equal(formatDuration(3_723_000), "1h2m3s");
  });
});

describe("time limits on every surface", () => {
  it("takes more than zero and at most 7 days, naming the limit otherwise", () => {
    assert.equal(parseLimit("168h", "timeout"), MAX_DURATION_MS);
    assert.throws(() => parseLimit("168h1s", "timeout"), {
      name: "InvalidOptionError",
      message: '[timeout] must be at most 7 days (168h), got "168h1s"',
    });
    assert.throws(() => parseLimit(0, "timeout"), {
      name: "InvalidOptionError",
      message: "[timeout] must be longer than zero",
    });
    // Node's timers cannot hold the limit's double; the limit stays below what they can.
    assert.ok(MAX_DURATION_MS < 2 ** 31 - 1);
  });

  it('reads a bare number as seconds on every surface: 30 is 30 s, and so is "30"', () => {
    const timeoutMs = (options: Parameters<typeof resolveOptions>[0]) =>
      resolveOptions(options).timeoutMs;
    for (const value of [30, "30", "30s", "0.5m"]) {
      assert.equal(timeoutMs({ host: "h", timeout: value }), 30_000, `waitForSsh ${value}`);
      const cli = parseCommandLine(["h", "--timeout", String(value)], {}).request.options;
      assert.equal(timeoutMs(cli), 30_000, `ssh-ready --timeout ${value}`);
      assert.equal(timeoutMs(toWaitOptions({ host: "h", timeout: value })), 30_000, "SshReadiness");
      // VmWithReadySsh checks readiness.timeout by the same rule and hands it to SshReadiness as given.
      assert.doesNotThrow(() =>
        validateVmArgs("vm", {
          location: "westeurope",
          adminUsername: "azureuser",
          readiness: { timeout: value },
        }),
      );
    }
  });

  it("refuses a bare number above an hour, 0.1.0's milliseconds, saying what to write instead", async () => {
    // 0.1.0's `timeout: 30000` (30 s) would be 8.3 hours now; `600000` (10 min) nearly 7 days.
    const message =
      "[timeout] is 30000: a bare number is seconds (since 0.2.0; it was milliseconds in 0.1.0), and more " +
      "than an hour (3600) of them is refused as a likely leftover of 0.1.0. For 30000 milliseconds write " +
      '"30s"; for 30000 seconds, give the unit: "500m"';
    assert.throws(() => resolveOptions({ host: "h", timeout: 30000 }), {
      name: "InvalidOptionError",
      message,
    });
    assert.throws(() => resolveOptions({ host: "h", timeout: "600000" }), {
      message:
        /^\[timeout\] is "600000": a bare number is seconds .* write "10m"; for 600000 seconds, give the unit: "10000m"$/,
    });
    assert.equal(resolveOptions({ host: "h", timeout: 3600 }).timeoutMs, 3_600_000);
    assert.throws(() => resolveOptions({ host: "h", timeout: 3601 }), /a bare number is seconds/);
    assert.throws(() => resolveOptions({ host: "h", attemptTimeout: 5000 }), /write "5s"/);
    // A longer wait, up to the cap, is written with its unit.
    assert.equal(resolveOptions({ host: "h", timeout: "3d" }).timeoutMs, 3 * 86_400_000);
    assert.equal(resolveOptions({ host: "h", timeout: "2d12h" }).timeoutMs, 60 * 3_600_000);
    // Every surface: SshReadiness's check, the component's arguments, the CLI.
    assert.deepEqual(checkInputs({ host: "h", timeout: 30000 }), [
      { property: "timeout", reason: message },
    ]);
    assert.throws(
      () =>
        validateVmArgs("vm", {
          location: "westeurope",
          adminUsername: "azureuser",
          readiness: { attemptTimeout: 15000 },
        }),
      {
        name: "InvalidOptionError",
        message: /^\[readiness\.attemptTimeout\] is 15000: .* write "15s"/,
      },
    );
    const lines: string[] = [];
    const code = await run(["127.0.0.1", "--timeout", "30000"], {
      stdout: (t) => lines.push(t),
      stderr: (t) => lines.push(t),
      env: {},
    });
    assert.equal(code, 2);
    assert.match(
      lines[0],
      /^ssh-ready: --timeout is "30000": a bare number is seconds .* write "30s"/,
    );
  });

  it("is the same rule for the library, the CLI, SshReadiness and VmWithReadySsh", async () => {
    assert.throws(() => resolveOptions({ host: "h", timeout: "700h" }), {
      message: '[timeout] must be at most 7 days (168h), got "700h"',
    });
    assert.throws(() => resolveOptions({ host: "h", commandTimeout: "8d" }), {
      message: '[commandTimeout] must be at most 7 days (168h), got "8d"',
    });
    const lines: string[] = [];
    const code = await run(["127.0.0.1", "--timeout", "700h", "--attempt-timeout", "600h"], {
      stdout: (t) => lines.push(t),
      stderr: (t) => lines.push(t),
      env: {},
    });
    assert.equal(code, 2);
    assert.match(lines[0], /^ssh-ready: --timeout must be at most 7 days \(168h\), got "700h"\n/);
    assert.deepEqual(checkInputs({ host: "h", attemptTimeout: "600h" }), [
      {
        property: "attemptTimeout",
        reason: '[attemptTimeout] must be at most 7 days (168h), got "600h"',
      },
    ]);
    assert.throws(
      () =>
        validateVmArgs("vm", {
          location: "westeurope",
          adminUsername: "azureuser",
          readiness: { commandTimeout: "30x" as string },
        }),
      { name: "InvalidOptionError", message: /^\[readiness\.commandTimeout\] is not a duration/ },
    );
    assert.throws(
      () =>
        validateVmArgs("vm", {
          location: "westeurope",
          adminUsername: "azureuser",
          readiness: { commandTimeout: "8d" },
        }),
      { message: '[readiness.commandTimeout] must be at most 7 days (168h), got "8d"' },
    );
  });
});

describe("the system clock's sleep", () => {
  it("never ends before the time asked has passed on its own clock", async () => {
    for (let i = 0; i < 40; i++) {
      const ms = 1 + (i % 5) + i / 10;
      const start = systemClock.now();
      await systemClock.sleep(ms);
      assert.ok(systemClock.now() - start >= ms, `slept ${systemClock.now() - start} of ${ms} ms`);
    }
  });
});
