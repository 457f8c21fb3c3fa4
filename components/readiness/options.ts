// The one options object of `waitForSsh`, and its validation: every input is checked, and named in the
// error, before any network traffic.
import type { LookupFunction } from "node:net";
import type { ParsedKey } from "ssh2";
import type { AttemptEvent, CommandStartEvent } from "./events";
import type { Clock } from "./clock";
import { parseLimit } from "./duration";
import { shown } from "./printable";
import { HostKeyPin, isValidHost } from "./host-key";
import { parsePrivateKey } from "./keys";
import { DEFAULT_SCHEDULE, type ScheduleOptions } from "./schedule";

/** How ready is ready, from weakest to strongest. */
export type Level = "tcp" | "banner" | "auth" | "command";

export const LEVELS: readonly Level[] = ["tcp", "banner", "auth", "command"];

/** One SSH bastion that the target is reached through (ssh's `-J`). */
export interface JumpHostOptions {
  /** Jump host name or IP address. Required. */
  host: string;
  /** Jump host's SSH port. Defaults to 22. */
  port?: number;
  /** User on the jump host. Required. */
  username: string;
  /** Private key for the jump host (OpenSSH or PEM). Defaults to the target's `privateKey`. */
  privateKey?: string | Buffer;
  /** Passphrase of the jump host's `privateKey`. Defaults to the target's `passphrase` when the key is shared. */
  passphrase?: string;
  /** Pin for the jump host's key, as `hostKey`. Defaults to none: its key is reported, not verified. */
  hostKey?: string | string[];
}

export interface WaitForSshOptions {
  /** Host name or IP address of the SSH server. Required. */
  host: string;
  /** SSH port. Defaults to 22. */
  port?: number;
  /** User to log in as. Required for levels `auth` and `command`. */
  username?: string;
  /** Private key text, OpenSSH or PEM (RSA ≥ 2048 bits, ECDSA, Ed25519). Required for `auth` and `command`. */
  privateKey?: string | Buffer;
  /** Passphrase of an encrypted `privateKey`. Defaults to none. */
  passphrase?: string;
  /**
   * What "ready" means: `tcp` (the port accepts), `banner` (sshd sent `SSH-2.0-…`), `auth` (the key is accepted
   * and a session ran `true`), `command` (the readiness `command` exited 0). Defaults to `auth` when a
   * `privateKey` is given, else `banner`.
   */
  level?: Level;
  /**
   * Shell command run at level `command`; ready when it exits 0. Defaults to waiting for cloud-init
   * (`cloud-init status --wait`: exit 0 is ready, 2 is ready with a warning, a host without cloud-init is ready).
   */
  command?: string;
  /**
   * Host key pin: one or more `SHA256:…` fingerprints or OpenSSH public key lines. A server presenting any other
   * key fails the wait at once, before authentication. Needs level `auth` or `command`. Defaults to no pin: the
   * key of the successful attempt is reported, and a key change during the wait becomes a warning.
   */
  hostKey?: string | string[];
  /** Reach the target through this SSH bastion. Defaults to a direct connection. */
  jumpHost?: JumpHostOptions;
  /** Overall deadline: milliseconds, or a duration string ("10m"). Defaults to 10 minutes. */
  timeout?: number | string;
  /**
   * Limit of each phase of an attempt (TCP connect, banner, key exchange + authentication): milliseconds or a
   * duration string. Defaults to 15 seconds.
   */
  attemptTimeout?: number | string;
  /** Limit of one run of the readiness command: milliseconds or a duration string. Defaults to 5 minutes. */
  commandTimeout?: number | string;
  /** Aborts the wait: sleeps end and open connections close at once; the wait rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after every attempt, with its outcome. Never receives secrets. */
  onAttempt?: (event: AttemptEvent) => void;
  /** Called when the readiness command starts on the server, which may then take minutes. */
  onCommandStart?: (event: CommandStartEvent) => void;
  /** Retry pacing. Defaults to `DEFAULT_SCHEDULE` (fast 200 ms while refused, polite 1 s → 10 s otherwise). */
  schedule?: Partial<ScheduleOptions>;
  /** Name resolution, as `net.connect`'s `lookup`. Defaults to the system resolver (`dns.lookup`). */
  lookup?: LookupFunction;
  /** Time source, for tests. Defaults to the system clock. */
  clock?: Clock;
}

/** The default readiness command: wait for cloud-init; a host without cloud-init counts as ready. */
// `exec`: cloud-init itself is the session's process, so the signal that ends a timed-out wait reaches it.
export const CLOUD_INIT_COMMAND =
  'if command -v cloud-init >/dev/null 2>&1; then exec cloud-init status --wait; else echo "ssh-ready: no cloud-init on this host"; fi';
export const NO_CLOUD_INIT_MARKER = "ssh-ready: no cloud-init on this host";

export interface ResolvedJumpHost {
  host: string;
  port: number;
  username: string;
  key: ParsedKey;
  pin?: HostKeyPin;
}

export interface ResolvedOptions {
  host: string;
  port: number;
  username?: string;
  key?: ParsedKey;
  level: Level;
  command: string;
  isDefaultCommand: boolean;
  pin?: HostKeyPin;
  jumpHost?: ResolvedJumpHost;
  timeoutMs: number;
  attemptTimeoutMs: number;
  commandTimeoutMs: number;
  schedule: ScheduleOptions;
  lookup?: LookupFunction;
}

export const DEFAULT_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 15_000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 5 * 60_000;

export function checkHost(value: unknown, name: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new TypeError(`[${name}] must be a host name or IP address`);
  }
  const host = value.trim().replace(/^\[(.*)\]$/, "$1");
  if (!isValidHost(host))
    throw new TypeError(`[${name}] is not a valid host name or IP address: "${shown(value)}"`);
  return host;
}

export function checkPort(value: unknown, name: string): number {
  if (value === undefined) return 22;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`[${name}] must be an integer from 1 to 65535`);
  }
  if (value < 1 || value > 65535) {
    throw new RangeError(`[${name}] must be from 1 to 65535, got ${value}`);
  }
  return value;
}

export function checkUsername(value: unknown, name: string): string {
  if (typeof value !== "string" || value === "")
    throw new TypeError(`[${name}] must be a user name`);
  if (/[\s@:]/.test(value)) throw new TypeError(`[${name}] must not contain spaces, "@" or ":"`);
  return value;
}

export function positiveDuration(value: unknown, name: string, fallback: number): number {
  return value === undefined ? fallback : parseLimit(value, name, "ms");
}

/** Validates and completes the options. Throws a TypeError or RangeError naming the option. */
export function resolveOptions(options: WaitForSshOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("waitForSsh needs an options object");
  }
  const host = checkHost(options.host, "host");
  const port = checkPort(options.port, "port");
  const key =
    options.privateKey === undefined
      ? undefined
      : parsePrivateKey(options.privateKey, options.passphrase);
  if (options.privateKey === undefined && options.passphrase !== undefined) {
    throw new TypeError("[passphrase] is given without a [privateKey]");
  }
  const level = options.level ?? (key ? "auth" : "banner");
  if (!LEVELS.includes(level)) {
    throw new TypeError(`[level] must be one of ${LEVELS.join(", ")}, got "${shown(level)}"`);
  }
  const needsLogin = level === "auth" || level === "command";
  if (needsLogin && !key) throw new TypeError(`[privateKey] is required for level "${level}"`);
  const username =
    options.username === undefined && !needsLogin
      ? undefined
      : checkUsername(options.username, "username");
  if (options.command !== undefined) {
    if (typeof options.command !== "string" || options.command.trim() === "") {
      throw new TypeError("[command] must be a non-empty shell command");
    }
    if (level !== "command") throw new TypeError(`[command] needs level "command", not "${level}"`);
  }
  const pin =
    options.hostKey === undefined ? undefined : HostKeyPin.parse(options.hostKey, "hostKey");
  if (pin && !needsLogin) {
    throw new TypeError(
      `[hostKey] is checked during login: use level "auth" or "command", not "${level}"`,
    );
  }
  const schedule = { ...DEFAULT_SCHEDULE, ...(options.schedule ?? {}) };
  for (const [name, value] of Object.entries(schedule)) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`[schedule.${name}] must be a non-negative number`);
    }
  }
  if (schedule.jitter > 1) throw new RangeError("[schedule.jitter] must be from 0 to 1");
  if (options.lookup !== undefined && typeof options.lookup !== "function") {
    throw new TypeError("[lookup] must be a function like dns.lookup");
  }
  return {
    host,
    port,
    username,
    key,
    level,
    command: options.command ?? CLOUD_INIT_COMMAND,
    isDefaultCommand: options.command === undefined,
    pin,
    jumpHost:
      options.jumpHost === undefined
        ? undefined
        : resolveJumpHost(options.jumpHost, options.privateKey, options.passphrase),
    timeoutMs: positiveDuration(options.timeout, "timeout", DEFAULT_TIMEOUT_MS),
    attemptTimeoutMs: positiveDuration(
      options.attemptTimeout,
      "attemptTimeout",
      DEFAULT_ATTEMPT_TIMEOUT_MS,
    ),
    commandTimeoutMs: positiveDuration(
      options.commandTimeout,
      "commandTimeout",
      DEFAULT_COMMAND_TIMEOUT_MS,
    ),
    schedule,
    lookup: options.lookup,
  };
}

/**
 * Checks a jump host's options. Its key defaults to the target's (`targetKey`, with `targetPassphrase`).
 * Shared with the Pulumi provider's diff, which records jump hosts by key fingerprint.
 */
export function resolveJumpHost(
  jump: unknown,
  targetKey: unknown,
  targetPassphrase: unknown,
): ResolvedJumpHost {
  if (typeof jump !== "object" || jump === null)
    throw new TypeError("[jumpHost] must be an object");
  const options = jump as JumpHostOptions;
  const ownKey = options.privateKey !== undefined;
  const keyText = ownKey ? options.privateKey : targetKey;
  if (keyText === undefined) {
    throw new TypeError(
      "[jumpHost.privateKey] is required (or give [privateKey] to use the same key)",
    );
  }
  return {
    host: checkHost(options.host, "jumpHost.host"),
    port: checkPort(options.port, "jumpHost.port"),
    username: checkUsername(options.username, "jumpHost.username"),
    key: ownKey
      ? parsePrivateKey(keyText, options.passphrase, "jumpHost.")
      : parsePrivateKey(keyText, targetPassphrase),
    pin:
      options.hostKey === undefined
        ? undefined
        : HostKeyPin.parse(options.hostKey, "jumpHost.hostKey"),
  };
}
