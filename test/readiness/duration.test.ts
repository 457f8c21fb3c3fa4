import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDuration, parseDuration } from "../../components/readiness/duration";

describe("parseDuration", () => {
  it("reads unit parts and their sums", () => {
    assert.equal(parseDuration("90s", "t"), 90_000);
    assert.equal(parseDuration("10m", "t"), 600_000);
    assert.equal(parseDuration("1m30s", "t"), 90_000);
    assert.equal(parseDuration("500ms", "t"), 500);
    assert.equal(parseDuration("1h", "t"), 3_600_000);
    assert.equal(parseDuration("1.5s", "t"), 1500);
  });

  it("takes a bare number in the given unit", () => {
    assert.equal(parseDuration("30", "t", "s"), 30_000);
    assert.equal(parseDuration(250, "t", "ms"), 250);
    assert.equal(parseDuration(2, "t", "s"), 2000);
  });

  it("rejects negative durations with a RangeError naming the input", () => {
    assert.throws(() => parseDuration("-5s", "timeout"), {
      name: "RangeError",
      message: '[timeout] must not be negative, got "-5s"',
    });
    assert.throws(() => parseDuration(-1, "timeout"), {
      name: "RangeError",
      message: "[timeout] must not be negative, got -1",
    });
  });

  it("rejects unparsable text with a TypeError naming the input", () => {
    for (const text of ["", "ten minutes", "10x", "5s garbage", "m"]) {
      assert.throws(() => parseDuration(text, "attemptTimeout", "s"), {
        name: "TypeError",
        message: `[attemptTimeout] is not a duration: "${text}" (write e.g. "90s", "10m", "1m30s" or a number of seconds)`,
      });
    }
    assert.throws(() => parseDuration({}, "timeout"), { name: "TypeError" });
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
