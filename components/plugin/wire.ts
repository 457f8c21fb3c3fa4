// Secrets as they cross the provider plugin's gRPC boundary. The Node provider SDK tells the engine it accepts
// secrets, so values arrive wrapped in Pulumi's secret marker, and only the marks the plugin returns are kept:
// the engine re-marks nothing for it (it does for the dynamic-provider host, which refuses secrets).

/** Pulumi's marker for special values on the wire, and its value for a secret (sdk/nodejs/runtime/rpc). */
export const SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

interface WireSecret {
  [SPECIAL_SIG_KEY]: typeof SECRET_SIG;
  value: unknown;
}

export function isWireSecret(value: unknown): value is WireSecret {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[SPECIAL_SIG_KEY] === SECRET_SIG
  );
}

export function secretOnWire(value: unknown): WireSecret {
  return isWireSecret(value) ? value : { [SPECIAL_SIG_KEY]: SECRET_SIG, value };
}

/** The value with every secret marker taken off, at any depth: what the provider code works on. */
export function reveal<T>(value: T): T {
  if (isWireSecret(value)) return reveal(value.value) as T;
  if (Array.isArray(value)) return value.map(reveal) as T;
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)])) as T;
  return value;
}

export function containsSecret(value: unknown): boolean {
  if (isWireSecret(value)) return true;
  if (Array.isArray(value)) return value.some(containsSecret);
  if (typeof value === "object" && value !== null) return Object.values(value).some(containsSecret);
  return false;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) && !isWireSecret(value);

/**
 * Marks outputs secret as the engine marks a dynamic resource's (`annotateSecrets`, pkg/resource/plugin): an
 * output whose input under the same name held a secret is secret, and where both are objects the marking goes
 * into them key by key, so one secret field (a jump host's key) does not hide the rest. `alwaysSecret` names
 * outputs that are secret whatever the inputs were.
 */
export function markSecrets(
  outputs: Record<string, unknown>,
  inputs: Record<string, unknown>[],
  alwaysSecret: readonly string[] = [],
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(outputs).map(([key, value]) => {
      if (alwaysSecret.includes(key)) return [key, secretOnWire(value)];
      const given = inputs.map((input) => input?.[key]).filter((input) => input !== undefined);
      if (isObject(value) && given.length > 0 && given.every(isObject))
        return [key, markSecrets(value, given)];
      return [key, given.some(containsSecret) ? secretOnWire(value) : value];
    }),
  );
}

/**
 * Where the inputs hold secrets, as paths (`command`, `jumpHost.host`): inside objects key by key, a list or
 * any other value as a whole.
 */
export function secretPaths(inputs: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(inputs).flatMap(([key, value]) => {
    if (isObject(value)) return secretPaths(value, `${prefix}${key}.`);
    return containsSecret(value) ? [`${prefix}${key}`] : [];
  });
}
