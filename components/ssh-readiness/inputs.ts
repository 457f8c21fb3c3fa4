// The SshReadiness resource's inputs as the provider receives them (plain values: the engine strips secret
// markers), their validation for `check`, and what is recorded in the outputs so `diff` can compare.
// No Pulumi import: this module is serialized into the provider.
import { UNKNOWN } from "../provider-code";
import { InvalidOptionError } from "../readiness/errors";
import { fingerprintOf } from "../readiness/host-key";
import { parsePrivateKey } from "../readiness/keys";
import { defaultLevel, type Level, type WaitForSshOptions } from "../readiness/options";
import { looksLikePrivateKey } from "../readiness/printable";
import { TOP_LEVEL_OPTIONS } from "../readiness/spec";
import {
  CHECKS,
  checkBootId,
  checkHost,
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
  afterBoot?: string;
  hostKeyPin?: string | string[];
  serialLog?: string;
  azureVmId?: string;
  timeout?: number | string;
  attemptTimeout?: number | string;
  commandTimeout?: number | string;
  jumpHost?: JumpHostInputs;
  triggers?: unknown[];
  /**
   * Added by check when every input is known and valid: the fingerprints of the keys, parsed (and decrypted)
   * once, so diff, create and update never parse a key again. Public values only: Pulumi stores it in plain
   * text whatever was secret (the engine marks a dynamic resource's inputs secret only under their own names).
   */
  __recorded?: KeyFingerprints;
  /**
   * Which inputs the program gave as secrets, as paths (`command`, `triggers`): the dynamic-provider host
   * receives plain values, so SshReadiness tells it; the provider plugin finds them on the wire. A secret
   * input's value never appears in a progress line or an error. ALWAYS_SECRET are secret without being named.
   */
  __secretInputs?: string[];
}

/** The `__recorded` that check adds: the keys' fingerprints. */
export interface KeyFingerprints {
  /** Tells this form from 0.2.0's, which held the whole record, command and triggers included, in plain text. */
  form: "fingerprints";
  /** SHA256 fingerprint of the public half of `privateKey`. */
  keyFingerprint?: string;
  /** SHA256 fingerprint of the jump host's key (its own, or the target's). */
  jumpKeyFingerprint?: string;
}

/**
 * Inputs that are secret whatever the program says: the key, its passphrase, and the jump host, which may carry
 * a key of its own and is stored as a secret as a whole (its address and user too).
 */
export const ALWAYS_SECRET: readonly string[] = TOP_LEVEL_OPTIONS.filter((spec) => spec.secret).map(
  (spec) => spec.name,
);

/** The inputs as kept in the outputs: no secrets; keys by fingerprint. */
export interface RecordedInputs {
  label?: string;
  host: string;
  port: number;
  username?: string;
  level: Level;
  command?: string;
  /** The boot id given as `afterBoot`, lower-cased; absent for none (an empty input too). */
  afterBoot?: string;
  /** The `hostKeyPin` input as a list (the `hostKey` output is the key the server presented). */
  hostKeyPin?: string[];
  serialLog?: string;
  azureVmId?: string;
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
    afterBoot: inputs.afterBoot,
    hostKeyPin: inputs.hostKeyPin,
    serialLog: inputs.serialLog,
    azureVmId: inputs.azureVmId,
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
  const resolved: ResolvedJumpHost = resolveJumpHost(jump, targetKey, targetPassphrase);
  return jumpRecord(jump, fingerprintOf(resolved.key.getPublicSSH()));
}

function jumpRecord(
  jump: JumpHostInputs,
  keyFingerprint: string,
): NonNullable<RecordedInputs["jumpHost"]> {
  return {
    host: checkHost(jump.host, "jumpHost.host"),
    port: checkPort(jump.port, "jumpHost.port"),
    username: checkUsername(jump.username, "jumpHost.username"),
    hostKeyPin: pinList(jump.hostKeyPin),
    keyFingerprint,
  };
}

/** The keys of valid inputs, parsed once (with every other rule of the engine checked), by fingerprint. */
export function fingerprintKeys(inputs: ReadinessInputs): KeyFingerprints {
  const resolved = resolveOptions(toWaitOptions(inputs));
  return {
    form: "fingerprints",
    keyFingerprint: resolved.key && fingerprintOf(resolved.key.getPublicSSH()),
    jumpKeyFingerprint: resolved.jumpHost && fingerprintOf(resolved.jumpHost.key.getPublicSSH()),
  };
}

/** What create records of valid inputs whose keys are already fingerprinted: no key is parsed. */
function recordWith(inputs: ReadinessInputs, keys: KeyFingerprints): RecordedInputs {
  return {
    label: inputs.label,
    host: checkHost(inputs.host, "host"),
    port: checkPort(inputs.port, "port"),
    username: inputs.username,
    level: inputs.level ?? defaultLevel(inputs.privateKey !== undefined, inputs.afterBoot),
    command: inputs.command,
    afterBoot: checkBootId(inputs.afterBoot, "afterBoot"),
    hostKeyPin: pinList(inputs.hostKeyPin),
    serialLog: inputs.serialLog,
    azureVmId: inputs.azureVmId,
    keyFingerprint: keys.keyFingerprint,
    jumpHost: inputs.jumpHost && jumpRecord(inputs.jumpHost, keys.jumpKeyFingerprint!),
    timeout: inputs.timeout,
    attemptTimeout: inputs.attemptTimeout,
    commandTimeout: inputs.commandTimeout,
    triggers: inputs.triggers,
  };
}

/** What create records of the inputs. Needs known, valid inputs. */
export function recordInputs(inputs: ReadinessInputs): RecordedInputs {
  // Fingerprints from the keys resolveOptions parsed: decrypting a key again costs its KDF rounds again.
  return recordWith(inputs, fingerprintKeys(inputs));
}

/**
 * Each option's name, type and whether it is required, from the spec: only these, since this module is
 * serialized into the provider, and Pulumi's serializer fails on a captured object whose `default` is not an
 * object (its `isImportStarResult` runs `k in obj.default`: "Cannot use 'in' operator to search for 'name' in 22").
 */
const INPUT_RULES = TOP_LEVEL_OPTIONS.map(({ name, type, defaultText }) => ({
  name,
  type,
  required: defaultText === "required",
}));

export interface Failure {
  property: string;
  reason: string;
}

/** Runs `check` and turns the engine's InvalidOptionError into a failure on the option it names. */
function collect(failures: Failure[], check: () => void): void {
  try {
    check();
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error;
    const named = error.option;
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
 * `checkInputs`, and, when every input is known and valid, the keys' fingerprints (parsed once here, every rule
 * of the engine checked) and what create records of the inputs.
 */
export function checkAndRecord(inputs: ReadinessInputs): {
  failures: Failure[];
  keys?: KeyFingerprints;
  record?: RecordedInputs;
} {
  const failures: Failure[] = [];
  let keys: KeyFingerprints | undefined;
  const known = (value: unknown) => value !== undefined && !containsUnknown(value);
  // Each input alone, with the check of its type in the spec; a key with its passphrase.
  for (const spec of INPUT_RULES) {
    const value: unknown = inputs[spec.name as keyof ReadinessInputs];
    const check = CHECKS[spec.type];
    if (value === undefined && spec.required)
      failures.push({ property: spec.name, reason: `[${spec.name}] is required` });
    else if (!known(value)) continue;
    else if (check) collect(failures, () => check(value, spec.name));
    else if (spec.type === "key" && (inputs.passphrase === undefined || known(inputs.passphrase)))
      collect(failures, () => parsePrivateKey(value, inputs.passphrase));
    else if (spec.type === "jumpHost")
      collect(failures, () => renamed(value as object, "jumpHost.", "hostKey", "hostKeyPin"));
  }
  if (
    known(inputs.label) &&
    (typeof inputs.label !== "string" || looksLikePrivateKey(inputs.label))
  )
    failures.push({
      property: "label",
      reason:
        typeof inputs.label !== "string"
          ? "[label] must be a string"
          : "[label] holds a private key: a label is a short name put before progress lines, which are not secret",
    });
  if (
    inputs.triggers !== undefined &&
    !Array.isArray(inputs.triggers) &&
    !containsUnknown(inputs.triggers)
  ) {
    failures.push({ property: "triggers", reason: "[triggers] must be a list of values" });
  }
  // The rules that combine inputs (level auth needs a key, jump host keys, …) need every input known.
  if (failures.length === 0 && !containsUnknown(inputs)) {
    collect(failures, () => (keys = fingerprintKeys(inputs)));
  }
  if (failures.length > 0 || keys === undefined) return { failures };
  return { failures, keys, record: recordWith(inputs, keys) };
}

/**
 * The inputs with check's record, or with none: never one kept from older inputs (a resource whose inputs are
 * frozen by ignoreChanges would keep 0.2.0's plain-text record otherwise).
 */
export function withRecord<T extends { __recorded?: unknown }>(inputs: T, record: unknown): T {
  const result = { ...inputs };
  delete result.__recorded;
  return record === undefined ? result : { ...result, __recorded: record };
}

/** The record of these inputs, from the fingerprints check made; the keys are parsed only without them. */
export function recordOf(inputs: ReadinessInputs): RecordedInputs {
  // 0.2.0's check recorded another form; a direct call (no check) records none.
  const keys = inputs.__recorded?.form === "fingerprints" ? inputs.__recorded : undefined;
  return keys ? recordWith(inputs, keys) : recordInputs(inputs);
}
