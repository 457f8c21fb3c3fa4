"use strict";
// Durations as people write them ("90s", "10m", "1m30s", "500ms") and as we print them ("10m0s", "3.2s").
// One parser serves the engine options, the CLI flags and the Pulumi resource's inputs.
Object.defineProperty(exports, "__esModule", { value: true });
exports.MAX_DURATION_MS = void 0;
exports.parseDuration = parseDuration;
exports.parseLimit = parseLimit;
exports.formatDuration = formatDuration;
const printable_1 = require("./printable");
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/**
 * Parses a duration. A string is a sequence of number+unit parts (`ms`, `s`, `m`, `h`: "1m30s"), or a bare
 * number in `bareUnit`. A number is taken in `bareUnit` too. Throws a TypeError or RangeError naming `name`.
 */
function parseDuration(value, name, bareUnit = "ms") {
    if (typeof value === "number") {
        if (!Number.isFinite(value))
            throw new RangeError(`[${name}] must be a finite duration`);
        if (value < 0)
            throw new RangeError(`[${name}] must not be negative, got ${value}`);
        return value * UNIT_MS[bareUnit];
    }
    if (typeof value !== "string") {
        throw new TypeError(`[${name}] must be a duration like "90s" or "10m", got ${typeof value}`);
    }
    const text = value.trim();
    if (/^-/.test(text))
        throw new RangeError(`[${name}] must not be negative, got "${(0, printable_1.shown)(value)}"`);
    if (/^\d+(\.\d+)?$/.test(text))
        return Number(text) * UNIT_MS[bareUnit];
    const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
    let total = 0;
    let matched = 0;
    let m;
    while ((m = part.exec(text)) !== null) {
        total += Number(m[1]) * UNIT_MS[m[2]];
        matched = part.lastIndex;
    }
    if (text === "" || matched !== text.length) {
        throw new TypeError(`[${name}] is not a duration: "${(0, printable_1.shown)(value)}" (write e.g. "90s", "10m", "1m30s" or a number of ${bareUnit === "s" ? "seconds" : "milliseconds"})`);
    }
    return total;
}
/**
 * The longest duration any limit takes: 7 days. Node's timers cannot hold more than about 24.8 days (a longer
 * delay fires after 1 ms), and no readiness wait needs a week.
 */
exports.MAX_DURATION_MS = 7 * 24 * 3_600_000;
/**
 * A time limit: parsed as `parseDuration`, longer than zero and at most `MAX_DURATION_MS`. Throws a RangeError
 * naming `name` otherwise.
 */
function parseLimit(value, name, bareUnit = "ms") {
    const ms = parseDuration(value, name, bareUnit);
    if (ms <= 0)
        throw new RangeError(`[${name}] must be longer than zero`);
    if (ms > exports.MAX_DURATION_MS) {
        const given = typeof value === "string" ? `"${(0, printable_1.shown)(value)}"` : `${value}${bareUnit}`;
        throw new RangeError(`[${name}] must be at most 7 days (168h), got ${given}`);
    }
    return ms;
}
/** "250ms", "3.2s", "10m0s", "1h2m3s": short, exact to a tenth of a second under a minute. */
function formatDuration(ms) {
    if (ms < 1000)
        return `${Math.round(ms)}ms`;
    if (ms < 60_000)
        return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
    const totalSeconds = Math.floor(ms / 1000);
    const h = Math.floor(totalSeconds / 3600);
    const m = Math.floor((totalSeconds % 3600) / 60);
    const s = totalSeconds % 60;
    return h > 0 ? `${h}h${m}m${s}s` : `${m}m${s}s`;
}
