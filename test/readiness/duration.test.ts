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
        message: `[attemptTimeout] is not a duration: "${text}" (write e.g. "90s", "10m", "1m30s" or a number of seconds)`,
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

  it("is the same rule for the library, the CLI, SshReadiness and VmWithReadySsh", async () => {
    assert.throws(() => resolveOptions({ host: "h", timeout: "700h" }), {
      message: '[timeout] must be at most 7 days (168h), got "700h"',
    });
    assert.throws(() => resolveOptions({ host: "h", commandTimeout: 700 * 3600 }), {
      message: "[commandTimeout] must be at most 7 days (168h), got 2520000 (seconds)",
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
          readiness: { commandTimeout: "30d" as string },
        }),
      { name: "InvalidOptionError", message: /^\[readiness\.commandTimeout\] is not a duration/ },
    );
    assert.throws(
      () =>
        validateVmArgs("vm", {
          location: "westeurope",
          adminUsername: "azureuser",
          readiness: { commandTimeout: 8 * 24 * 3600 },
        }),
      { message: "[readiness.commandTimeout] must be at most 7 days (168h), got 691200 (seconds)" },
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
