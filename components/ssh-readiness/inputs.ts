// The SshReadiness resource's inputs as the provider receives them (plain values: the engine strips secret
// markers), their validation for `check`, and what is recorded in the outputs so `diff` can compare.
// No Pulumi import: this module is serialized into the provider.
import { UNKNOWN } from "../provider-code";
import { parseLimit } from "../readiness/duration";
import { fingerprintOf, HostKeyPin } from "../readiness/host-key";
import { parsePrivateKey } from "../readiness/keys";
import type { Level, WaitForSshOptions } from "../readiness/options";
import {
  checkHost,
  checkLevel,
  checkPort,
  checkUsername,
  renamed,
  resolveJumpHost,
  resolveOptions,
  type ResolvedJumpHost,
} from "../readiness/resolve";

export { UNKNOWN };

export interface JumpHostInputs {
  host: string;
  port?: number;
  username: string;
  privateKey?: string;
  passphrase?: string;
  hostKeyPin?: string | string[];
}

export interface ReadinessInputs {
  label?: string;
  host: string;
  port?: number;
  username?: string;
  privateKey?: string;
  passphrase?: string;
  level?: Level;
  command?: string;
  hostKeyPin?: string | string[];
  timeout?: number | string;
  attemptTimeout?: number | string;
  commandTimeout?: number | string;
  jumpHost?: JumpHostInputs;
  triggers?: unknown[];
  /**
   * Added by check when every input is known and valid: the inputs as recorded, resolved once, so diff,
   * create and update use it as is and never parse a key again.
   */
  __recorded?: RecordedInputs;
}

/** The inputs as kept in the outputs: no secrets; keys by fingerprint. */
export interface RecordedInputs {
  label?: string;
  host: string;
  port: number;
  username?: string;
  level: Level;
  command?: string;
  /** The `hostKeyPin` input as a list (the `hostKey` output is the key the server presented). */
  hostKeyPin?: string[];
  /** SHA256 fingerprint of the public half of `privateKey`. */
  keyFingerprint?: string;
  jumpHost?: {
    host: string;
    port: number;
    username: string;
    hostKeyPin?: string[];
    keyFingerprint: string;
  };
  timeout?: number | string;
  attemptTimeout?: number | string;
  commandTimeout?: number | string;
  triggers?: unknown[];
}

export function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (typeof value === "object" && value !== null)
    return Object.values(value).some(containsUnknown);
  return false;
}

/** The engine's options for these inputs. Throws the engine's TypeError/RangeError naming the input. */
export function toWaitOptions(inputs: ReadinessInputs): WaitForSshOptions {
  const jump = inputs.jumpHost;
  return {
    host: inputs.host,
    port: inputs.port,
    username: inputs.username,
    privateKey: inputs.privateKey,
    passphrase: inputs.passphrase,
    level: inputs.level,
    command: inputs.command,
    hostKeyPin: inputs.hostKeyPin,
    timeout: inputs.timeout,
    attemptTimeout: inputs.attemptTimeout,
    commandTimeout: inputs.commandTimeout,
    jumpHost: jump && {
      host: jump.host,
      port: jump.port,
      username: jump.username,
      privateKey: jump.privateKey,
      passphrase: jump.passphrase,
      hostKeyPin: jump.hostKeyPin,
    },
  };
}

export function pinList(pin: string | string[] | undefined): string[] | undefined {
  if (pin === undefined) return undefined;
  return (Array.isArray(pin) ? pin : [pin]).map((p) => p.trim());
}

export function keyFingerprint(key: string, passphrase: string | undefined, prefix = ""): string {
  return fingerprintOf(parsePrivateKey(key, passphrase, prefix).getPublicSSH());
}

/** The jump host as recorded: the engine's checks, the key by fingerprint. */
export function recordJumpHost(
  jump: JumpHostInputs,
  targetKey: string | undefined,
  targetPassphrase: string | undefined,
): NonNullable<RecordedInputs["jumpHost"]> {
  return jumpRecord(resolveJumpHost(jump, targetKey, targetPassphrase), jump.hostKeyPin);
}

function jumpRecord(
  resolved: ResolvedJumpHost,
  pin: string | string[] | undefined,
): NonNullable<RecordedInputs["jumpHost"]> {
  return {
    host: resolved.host,
    port: resolved.port,
    username: resolved.username,
    hostKeyPin: pinList(pin),
    keyFingerprint: fingerprintOf(resolved.key.getPublicSSH()),
  };
}

/** What create records of the inputs. Needs known, valid inputs. */
export function recordInputs(inputs: ReadinessInputs): RecordedInputs {
  const resolved = resolveOptions(toWaitOptions(inputs));
  return {
    label: inputs.label,
    host: resolved.host,
    port: resolved.port,
    username: resolved.username,
    level: resolved.level,
    command: inputs.command,
    hostKeyPin: pinList(inputs.hostKeyPin),
    // Fingerprints from the keys resolveOptions parsed: decrypting a key again costs its KDF rounds again.
    keyFingerprint: resolved.key && fingerprintOf(resolved.key.getPublicSSH()),
    jumpHost:
      inputs.jumpHost && recordJumpHost(inputs.jumpHost, inputs.privateKey, inputs.passphrase),
    timeout: inputs.timeout,
    attemptTimeout: inputs.attemptTimeout,
    commandTimeout: inputs.commandTimeout,
    triggers: inputs.triggers,
  };
}

export interface Failure {
  property: string;
  reason: string;
}

/** Runs `check` and turns the engine's input errors into a failure on the property it names. */
function collect(failures: Failure[], fallbackProperty: string, check: () => void): void {
  try {
    check();
  } catch (error) {
    if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
    const named = /^\[([\w.]+)\]/.exec(error.message)?.[1] ?? fallbackProperty;
    if (!failures.some((f) => f.property === named))
      failures.push({ property: named, reason: error.message });
  }
}

/**
 * Validates the inputs with the engine's rules and messages. Values not known yet (preview) are skipped,
 * and so are the rules that combine them with others; everything known is checked, each failure naming its
 * property.
 */
export function checkInputs(inputs: ReadinessInputs): Failure[] {
  return checkAndRecord(inputs).failures;
}

/**
 * `checkInputs`, and, when every input is known and valid, what create records of them: resolved once here
 * (keys parsed, defaults applied by the engine), so diff compares records and never parses a key again.
 */
export function checkAndRecord(inputs: ReadinessInputs): {
  failures: Failure[];
  record?: RecordedInputs;
} {
  const failures: Failure[] = [];
  let record: RecordedInputs | undefined;
  const known = (value: unknown) => value !== undefined && !containsUnknown(value);
  if (!known(inputs.host)) {
    if (inputs.host === undefined)
      failures.push({ property: "host", reason: "[host] is required" });
  } else collect(failures, "host", () => checkHost(inputs.host, "host"));
  if (known(inputs.port)) collect(failures, "port", () => checkPort(inputs.port, "port"));
  if (known(inputs.username))
    collect(failures, "username", () => checkUsername(inputs.username, "username"));
  if (known(inputs.level)) collect(failures, "level", () => checkLevel(inputs.level, "level"));
  if (known(inputs.privateKey) && (inputs.passphrase === undefined || known(inputs.passphrase))) {
    collect(failures, "privateKey", () => parsePrivateKey(inputs.privateKey, inputs.passphrase));
  }
  if (known(inputs.jumpHost))
    collect(failures, "jumpHost", () =>
      renamed(inputs.jumpHost!, "jumpHost.", "hostKey", "hostKeyPin"),
    );
  if (known(inputs.hostKeyPin))
    collect(failures, "hostKeyPin", () => HostKeyPin.parse(inputs.hostKeyPin, "hostKeyPin"));
  for (const name of ["timeout", "attemptTimeout", "commandTimeout"] as const) {
    if (known(inputs[name])) collect(failures, name, () => parseLimit(inputs[name], name));
  }
  if (
    inputs.triggers !== undefined &&
    !Array.isArray(inputs.triggers) &&
    !containsUnknown(inputs.triggers)
  ) {
    failures.push({ property: "triggers", reason: "[triggers] must be a list of values" });
  }
  // The rules that combine inputs (level auth needs a key, jump host keys, …) need every input known.
  if (failures.length === 0 && !containsUnknown(inputs)) {
    collect(failures, "host", () => (record = recordInputs(inputs)));
  }
  return { failures, record: failures.length === 0 ? record : undefined };
}

/** The record check made of these inputs; made now when check did not run (a direct call). */
export function recordOf(inputs: ReadinessInputs): RecordedInputs {
  return inputs.__recorded ?? recordInputs(inputs);
}
