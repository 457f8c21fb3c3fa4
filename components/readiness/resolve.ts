// The options of `waitForSsh` checked and completed: every input is checked, and named in the error, before
// any network traffic. Internal: the resolved form holds parsed keys (ssh2 types).
import { VM_RESOURCE_ID } from "./console-azure";
import { InvalidOptionError } from "./errors";
import type { LookupFunction } from "node:net";
import type { ParsedKey } from "ssh2";
import { parseLimit } from "./duration";
import { shown } from "./printable";
import { HostKeyPin, isValidHost } from "./host-key";
import { decryptPrivateKey, parsePrivateKey } from "./keys";
import type { OptionType } from "./spec";
import { DEFAULT_SCHEDULE, type ScheduleOptions } from "./schedule";
import {
  CLOUD_INIT_COMMAND,
  DEFAULT_ATTEMPT_TIMEOUT_MS,
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_PORT,
  DEFAULT_TIMEOUT_MS,
  defaultLevel,
  LEVELS,
  type JumpHostOptions,
  type Level,
  type WaitForSshOptions,
} from "./options";

/**
 * An option name of 0.1.0 that now means something else (`hostKey` names the key a server presents; the keys
 * to accept are `hostKeyPin`): a TypeError naming both, never a value silently ignored.
 */
export function renamed(options: object, prefix: string, old: string, now: string): void {
  if ((options as Record<string, unknown>)[old] !== undefined) {
    throw new InvalidOptionError(`${prefix}${old}`, `is now [${prefix}${now}] (renamed in 0.2.0)`);
  }
}

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
  /** Ready only on a boot other than this one (level `command`). */
  afterBoot?: string;
  pin?: HostKeyPin;
  /** The pin is the host keys the console shows in this boot (`hostKeyPin: "console"`), read from serialLog. */
  consolePin: boolean;
  serialLog?: string;
  azureVmId?: string;
  jumpHost?: ResolvedJumpHost;
  timeoutMs: number;
  attemptTimeoutMs: number;
  commandTimeoutMs: number;
  schedule: ScheduleOptions;
  lookup?: LookupFunction;
}

export function checkHost(value: unknown, name: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new InvalidOptionError(name, `must be a host name or IP address`);
  }
  const host = value.trim().replace(/^\[(.*)\]$/, "$1");
  if (!isValidHost(host))
    throw new InvalidOptionError(name, `is not a valid host name or IP address: "${shown(value)}"`);
  return host;
}

export function checkPort(value: unknown, name: string): number {
  if (value === undefined) return DEFAULT_PORT;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new InvalidOptionError(name, `must be an integer from 1 to 65535`);
  }
  if (value < 1 || value > 65535) {
    throw new InvalidOptionError(name, `must be from 1 to 65535, got ${value}`);
  }
  return value;
}

/** A readiness level, one of LEVELS: the one rule the engine, the CLI, SshReadiness and VmWithReadySsh use. */
export function checkLevel(value: unknown, name: string): Level {
  if (!LEVELS.includes(value as Level)) {
    throw new InvalidOptionError(
      name,
      `must be one of ${LEVELS.join(", ")}, got "${shown(value)}"`,
    );
  }
  return value as Level;
}

export function checkUsername(value: unknown, name: string): string {
  if (typeof value !== "string" || value === "")
    throw new InvalidOptionError(name, `must be a user name`);
  if (/[\s@:]/.test(value))
    throw new InvalidOptionError(name, `must not contain spaces, "@" or ":"`);
  return value;
}

/** A readiness command: a non-empty string. */
export function checkCommand(value: unknown, name: string): string {
  if (typeof value !== "string" || value.trim() === "")
    throw new InvalidOptionError(name, "must be a non-empty shell command");
  return value;
}

/**
 * The check of every option type that stands alone (a key needs its passphrase, a jump host its parts): one
 * validator per type of spec.ts, each throwing an InvalidOptionError naming the option. SshReadiness's check and
 * VmWithReadySsh's arguments run the same ones, keyed by the spec, on the values known at preview.
 */
export const CHECKS: Partial<Record<OptionType, (value: unknown, name: string) => unknown>> = {
  host: checkHost,
  port: checkPort,
  user: checkUsername,
  level: checkLevel,
  command: checkCommand,
  bootId: checkBootId,
  pins: (value, name) => HostKeyPin.parse(value, name),
  targetPins: (value, name) => (isConsolePin(value) ? value : HostKeyPin.parse(value, name)),
  duration: parseLimit,
  path: checkPath,
  vmId: checkVmId,
};

/** The code options of the Azure console: a credential with getToken, an https endpoint, CA text. */
function checkAzureAccess(azure: unknown): void {
  if (azure === undefined) return;
  if (typeof azure !== "object" || azure === null)
    throw new InvalidOptionError(
      "azure",
      "must be an object: { credential, managementEndpoint, ca }",
    );
  const { credential, managementEndpoint, ca } = azure as Record<string, unknown>;
  if (
    credential !== undefined &&
    typeof (credential as { getToken?: unknown } | null)?.getToken !== "function"
  )
    throw new InvalidOptionError(
      "azure.credential",
      "must have getToken(scopes), as @azure/identity's credentials do",
    );
  if (managementEndpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(String(managementEndpoint));
    } catch {
      url = undefined;
    }
    if (typeof managementEndpoint !== "string" || url?.protocol !== "https:")
      throw new InvalidOptionError("azure.managementEndpoint", "must be an https URL");
  }
  if (ca !== undefined && typeof ca !== "string")
    throw new InvalidOptionError("azure.ca", "must be PEM text");
}

/** An Azure VM's resource ID, as its `id` property gives it. */
export function checkVmId(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !VM_RESOURCE_ID.test(value.trim()))
    throw new InvalidOptionError(
      name,
      `must be a VM's resource ID, "/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Compute/virtualMachines/<name>"${typeof value === "string" ? `, not "${shown(value, 60)}"` : ""}`,
    );
  return value.trim();
}

/** `hostKeyPin: "console"` (also as the one entry of a list, as a repeatable flag gives it). */
export function isConsolePin(value: unknown): boolean {
  const entries = Array.isArray(value) ? value : [value];
  return entries.length === 1 && entries[0] === "console";
}

/** A file's path: a non-empty string. The file may not exist yet: a VM's console log appears as it boots. */
export function checkPath(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "" || value.includes("\0"))
    throw new InvalidOptionError(name, "must be a file's path");
  return value;
}

/** A Linux boot id: a UUID as /proc/sys/kernel/random/boot_id writes it. */
const BOOT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A boot id, lower-cased; undefined for none (undefined or empty, so a step that did not reboot adds no constraint). */
export function checkBootId(value: unknown, name: string): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "string" || !BOOT_ID.test(value.trim().toLowerCase()))
    throw new InvalidOptionError(
      name,
      `must be a boot id like "0c5d4b4e-3f55-4c1f-9d7e-2b1f6a1c9e01" (cat /proc/sys/kernel/random/boot_id), or empty for any boot`,
    );
  return value.trim().toLowerCase();
}

/** The schedule's pauses: durations, as every other time option, resolved into its `…Ms` fields. */
const SCHEDULE_PAUSES = {
  fastInterval: "fastIntervalMs",
  politeInterval: "politeIntervalMs",
  maxInterval: "maxIntervalMs",
} as const;

/** A number of `name` from `min` to `max` (an integer when asked). */
function checkNumber(
  value: unknown,
  name: string,
  min: number,
  max: number,
  integer = false,
): number {
  if (typeof value !== "number" || !Number.isFinite(value) || (integer && !Number.isInteger(value)))
    throw new InvalidOptionError(
      name,
      `must be ${integer ? "an integer" : "a number"} from ${min} to ${max}`,
    );
  if (value < min || value > max)
    throw new InvalidOptionError(name, `must be from ${min} to ${max}, got ${value}`);
  return value;
}

/** The retry schedule: each key checked (the pauses bounded as every time limit), unknown keys refused. */
export function resolveSchedule(input: unknown): ScheduleOptions {
  const schedule = { ...DEFAULT_SCHEDULE };
  if (input === undefined) return schedule;
  if (typeof input !== "object" || input === null || Array.isArray(input))
    throw new InvalidOptionError("schedule", "must be an object");
  for (const [key, value] of Object.entries(input)) {
    const name = `schedule.${key}`;
    if (value === undefined) continue;
    if (key in SCHEDULE_PAUSES) {
      schedule[SCHEDULE_PAUSES[key as keyof typeof SCHEDULE_PAUSES]] = parseLimit(value, name);
    } else if (key.endsWith("Ms") && key.slice(0, -2) in SCHEDULE_PAUSES) {
      const now = key.slice(0, -2);
      throw new InvalidOptionError(
        name,
        `is now [schedule.${now}], a duration like every other time option (seconds, or a string with a unit): ` +
          `write ${now}: "${typeof value === "number" ? value : "…"}ms"`,
      );
    } else if (key === "steadyAttempts")
      schedule.steadyAttempts = checkNumber(value, name, 0, 100, true);
    else if (key === "backoffFactor") schedule.backoffFactor = checkNumber(value, name, 1, 10);
    else if (key === "jitter") schedule.jitter = checkNumber(value, name, 0, 1);
    else
      throw new InvalidOptionError(
        name,
        `is not a schedule option: ${[...Object.keys(SCHEDULE_PAUSES), "steadyAttempts", "backoffFactor", "jitter"].join(", ")}`,
      );
  }
  for (const pause of ["fastInterval", "politeInterval"] as const) {
    if (schedule[SCHEDULE_PAUSES[pause]] > schedule.maxIntervalMs)
      throw new InvalidOptionError(
        `schedule.${pause}`,
        "must not be longer than [schedule.maxInterval]",
      );
  }
  return schedule;
}

export function positiveDuration(value: unknown, name: string, fallback: number): number {
  return value === undefined ? fallback : parseLimit(value, name);
}

/**
 * Decrypts the options' encrypted keys (the target's, a jump host's) in a worker thread, for `resolveOptions`
 * to find decrypted: bcrypt rounds take seconds, and this thread stays free meanwhile. Never throws: what is
 * wrong with the options, `resolveOptions` says.
 */
export async function decryptKeys(options: unknown): Promise<void> {
  if (typeof options !== "object" || options === null) return;
  const { privateKey, passphrase, jumpHost } = options as WaitForSshOptions;
  const jump: Partial<JumpHostOptions> =
    typeof jumpHost === "object" && jumpHost !== null ? jumpHost : {};
  await Promise.all([
    decryptPrivateKey(privateKey, passphrase),
    decryptPrivateKey(jump.privateKey, jump.passphrase, "jumpHost."),
  ]);
}

/** Validates and completes the options. Throws a TypeError or RangeError naming the option. */
export function resolveOptions(options: WaitForSshOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("waitForSsh needs an options object");
  }
  renamed(options, "", "hostKey", "hostKeyPin");
  const host = checkHost(options.host, "host");
  const port = checkPort(options.port, "port");
  const key =
    options.privateKey === undefined
      ? undefined
      : parsePrivateKey(options.privateKey, options.passphrase);
  if (options.privateKey === undefined && options.passphrase !== undefined) {
    throw new InvalidOptionError("passphrase", "is given without a [privateKey]");
  }
  const level = checkLevel(
    options.level ?? defaultLevel(key !== undefined, options.afterBoot),
    "level",
  );
  const needsLogin = level === "auth" || level === "command";
  if (needsLogin && !key)
    throw new InvalidOptionError("privateKey", `is required for level "${level}"`);
  const username =
    options.username === undefined && !needsLogin
      ? undefined
      : checkUsername(options.username, "username");
  if (options.command !== undefined) {
    checkCommand(options.command, "command");
    if (level !== "command")
      throw new InvalidOptionError("command", `needs level "command", not "${level}"`);
  }
  const afterBoot = checkBootId(options.afterBoot, "afterBoot");
  if (afterBoot !== undefined && level !== "command")
    throw new InvalidOptionError(
      "afterBoot",
      `needs level "command" (the boot id is read where the readiness command runs), not "${level}"`,
    );
  const serialLog = checkPath(options.serialLog, "serialLog");
  const azureVmId = checkVmId(options.azureVmId, "azureVmId");
  if (serialLog !== undefined && azureVmId !== undefined)
    throw new InvalidOptionError(
      "azureVmId",
      "is a second console: give [serialLog] or this, not both",
    );
  const consolePin = isConsolePin(options.hostKeyPin);
  if (consolePin && serialLog === undefined && azureVmId === undefined)
    throw new InvalidOptionError(
      "hostKeyPin",
      `"console" reads the host keys from the VM's console: give its log as [serialLog], or the VM as [azureVmId]`,
    );
  const pin =
    options.hostKeyPin === undefined || consolePin
      ? undefined
      : HostKeyPin.parse(options.hostKeyPin, "hostKeyPin");
  if ((pin || consolePin) && !needsLogin) {
    throw new InvalidOptionError(
      "hostKeyPin",
      `is checked during login: use level "auth" or "command", not "${level}"`,
    );
  }
  const schedule = resolveSchedule(options.schedule);
  if (options.lookup !== undefined && typeof options.lookup !== "function") {
    throw new InvalidOptionError("lookup", "must be a function like dns.lookup");
  }
  checkAzureAccess(options.azure);
  return {
    host,
    port,
    username,
    key,
    level,
    command: options.command ?? CLOUD_INIT_COMMAND,
    isDefaultCommand: options.command === undefined,
    afterBoot,
    pin,
    consolePin,
    serialLog,
    azureVmId,
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
    throw new InvalidOptionError("jumpHost", "must be an object");
  const options = jump as JumpHostOptions;
  renamed(options, "jumpHost.", "hostKey", "hostKeyPin");
  const ownKey = options.privateKey !== undefined;
  const keyText = ownKey ? options.privateKey : targetKey;
  if (keyText === undefined) {
    throw new InvalidOptionError(
      "jumpHost.privateKey",
      "is required (or give [privateKey] to use the same key)",
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
      options.hostKeyPin === undefined
        ? undefined
        : HostKeyPin.parse(options.hostKeyPin, "jumpHost.hostKeyPin"),
  };
}
