// Durations as people write them ("90s", "10m", "1m30s", "500ms") and as we print them ("10m0s", "3.2s").
// One parser serves the engine options, the CLI flags and the Pulumi resource's inputs.

import { InvalidOptionError } from "./errors";
import { shown } from "./printable";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration into milliseconds. A string is a sequence of number+unit parts (`ms`, `s`, `m`, `h`:
 * "1m30s"), or a bare number of seconds. A number is seconds too: on every surface of this package (engine,
 * CLI, SshReadiness, VmWithReadySsh) `30` means 30 seconds. Throws a TypeError or RangeError naming `name`.
 */
export function parseDuration(value: unknown, name: string): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new InvalidOptionError(name, `must be a finite duration`);
    if (value < 0) throw new InvalidOptionError(name, `must not be negative, got ${value}`);
    return value * UNIT_MS.s;
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
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * UNIT_MS.s;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
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
      `is not a duration: "${shown(value)}" (write e.g. "90s", "10m", "1m30s" or a number of seconds)`,
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
