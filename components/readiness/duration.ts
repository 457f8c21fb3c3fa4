// Durations as people write them ("90s", "10m", "1m30s", "500ms") and as we print them ("10m0s", "3.2s").
// One parser serves the engine options, the CLI flags and the Pulumi resource's inputs.

import { InvalidOptionError } from "./errors";
import { shown } from "./printable";

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * The most a bare number may say: one hour of seconds. A bare number was milliseconds in 0.1 and is seconds
 * since 0.2, so an old `30000` (30 s) now reads as 8.3 hours and `5000` (5 s) as 83 minutes: numbers above an
 * hour are refused, naming the change (every usual 0.1 value, 5000 and up, is caught), and a longer wait is
 * written with its unit ("2h", "3d").
 */
export const MAX_BARE_SECONDS = 3600;

/** `ms` in the largest unit that writes it whole ("30s", "500m", "250ms"). */
function written(ms: number): string {
  for (const unit of ["d", "h", "m", "s"])
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  return `${ms}ms`;
}

/** A bare number (a number, or a number alone in text) as milliseconds, refused above MAX_BARE_SECONDS. */
function bareSeconds(seconds: number, value: unknown, name: string): number {
  if (seconds > MAX_BARE_SECONDS) {
    throw new InvalidOptionError(
      name,
      `is ${typeof value === "string" ? `"${shown(value)}"` : value}: a bare number is seconds (since 0.2.0; it ` +
        `was milliseconds in 0.1.0), and more than an hour (${MAX_BARE_SECONDS}) of them is refused as a likely ` +
        `leftover of 0.1.0. For ${seconds} milliseconds write "${written(seconds)}"; for ${seconds} seconds, ` +
        `give the unit: "${written(seconds * 1000)}"`,
    );
  }
  return seconds * UNIT_MS.s;
}

/**
 * Parses a duration into milliseconds. A string is a sequence of number+unit parts (`ms`, `s`, `m`, `h`, `d`:
 * "1m30s"), or a bare number of seconds. A number is seconds too: on every surface of this package (engine,
 * CLI, SshReadiness, VmWithReadySsh) `30` means 30 seconds; a bare number above a day is refused (see
 * MAX_BARE_SECONDS). Throws an InvalidOptionError naming `name`.
 */
export function parseDuration(value: unknown, name: string): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new InvalidOptionError(name, `must be a finite duration`);
    if (value < 0) throw new InvalidOptionError(name, `must not be negative, got ${value}`);
    return bareSeconds(value, value, name);
  }
  if (typeof value !== "string") {
    throw new InvalidOptionError(
      name,
      `must be a duration like "90s" or "10m", got ${typeof value}`,
    );
  }
  const text = value.trim();
  if (/^-/.test(text))
    throw new InvalidOptionError(name, `must not be negative, got "${shown(value)}"`);
  if (/^\d+(\.\d+)?$/.test(text)) return bareSeconds(Number(text), value, name);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = part.exec(text)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    matched = part.lastIndex;
  }
  if (text === "" || matched !== text.length) {
    throw new InvalidOptionError(
      name,
      `is not a duration: "${shown(value)}" (write e.g. "90s", "10m", "1m30s", "2d" or a number of seconds)`,
    );
  }
  return total;
}

/**
 * The longest duration any limit takes: 7 days. Node's timers cannot hold more than about 24.8 days (a longer
 * delay fires after 1 ms), and no readiness wait needs a week.
 */
export const MAX_DURATION_MS = 7 * 24 * 3_600_000;

/**
 * A time limit: parsed as `parseDuration`, longer than zero and at most `MAX_DURATION_MS`. Throws a RangeError
 * naming `name` otherwise.
 */
export function parseLimit(value: unknown, name: string): number {
  const ms = parseDuration(value, name);
  if (ms <= 0) throw new InvalidOptionError(name, `must be longer than zero`);
  if (ms > MAX_DURATION_MS) {
    const given = typeof value === "string" ? `"${shown(value)}"` : `${value} (seconds)`;
    throw new InvalidOptionError(name, `must be at most 7 days (168h), got ${given}`);
  }
  return ms;
}

/** "250ms", "3.2s", "10m0s", "1h2m3s": short, exact to a tenth of a second under a minute. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const totalSeconds = Math.floor(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  return h > 0 ? `${h}h${m}m${s}s` : `${m}m${s}s`;
}
