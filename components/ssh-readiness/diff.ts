// When a wait must be redone (replace) and when new inputs only change how the next wait would run (update).
// Pulumi's replaceOnChanges has no effect on a dynamic resource with its own diff, so this computes `replaces`.
import { DEFAULT_PORT, defaultLevel } from "../readiness/options";
import { TOP_LEVEL_OPTIONS } from "../readiness/spec";
import {
  containsUnknown,
  keyFingerprint,
  pinList,
  recordOf,
  recordJumpHost,
  type ReadinessInputs,
  type RecordedInputs,
} from "./inputs";

/**
 * Recorded field → the input property a person sees in `pulumi preview`: the options whose change the spec says
 * replaces, and `triggers`, SshReadiness's own.
 */
const REPLACING: [keyof RecordedInputs, keyof ReadinessInputs][] = [
  ...TOP_LEVEL_OPTIONS.filter((spec) => spec.change === "replace" && spec.recordedAs !== false).map(
    (spec) =>
      [
        (spec.recordedAs ?? spec.name) as keyof RecordedInputs,
        spec.name as keyof ReadinessInputs,
      ] as [keyof RecordedInputs, keyof ReadinessInputs],
  ),
  ["triggers", "triggers"],
];
/** The options whose change the spec says updates in place, and `label`, SshReadiness's own. */
const UPDATING: (keyof RecordedInputs & keyof ReadinessInputs)[] = [
  "label",
  ...TOP_LEVEL_OPTIONS.filter((spec) => spec.change === "update").map(
    (spec) => spec.name as keyof RecordedInputs & keyof ReadinessInputs,
  ),
];

/** Structural equality of JSON-like values (object key order ignored). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((v, i) => sameValue(v, b[i]))
    );
  }
  if (typeof a === "object" && typeof b === "object" && a !== null && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) =>
      sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    );
  }
  return false;
}

export interface ReadinessDiff {
  changes: boolean;
  replaces: string[];
}

/** Compares the recorded inputs (`olds` are the old outputs) with new inputs, which may hold unknowns. */
export function diffReadiness(olds: RecordedInputs, news: ReadinessInputs): ReadinessDiff {
  const replaces: string[] = [];
  const updates: string[] = [];
  // Known inputs are compared as recorded (from check's fingerprints: no key is parsed again); unknown ones
  // (preview) property by property below.
  let recorded: RecordedInputs | undefined;
  if (!containsUnknown(news)) {
    try {
      recorded = recordOf(news);
    } catch {
      // Invalid inputs fail in check; here they can only mean "different".
    }
  }
  for (const [field, input] of REPLACING) {
    const changed = recorded
      ? !sameValue(olds[field], recorded[field])
      : mayDiffer(olds, news, field, input);
    if (changed) replaces.push(input);
  }
  for (const name of UPDATING) {
    if (!sameValue(olds[name], news[name])) updates.push(name);
  }
  return { changes: replaces.length > 0 || updates.length > 0, replaces };
}

/**
 * With unknown inputs (preview): a property counts as changed when its new value, or a value it derives from,
 * is unknown; otherwise it is compared in the form recorded.
 */
function mayDiffer(
  olds: RecordedInputs,
  news: ReadinessInputs,
  field: keyof RecordedInputs,
  input: keyof ReadinessInputs,
): boolean {
  const value = news[input];
  if (containsUnknown(value)) return true;
  try {
    switch (field) {
      case "port":
        return !sameValue(olds.port, value ?? DEFAULT_PORT);
      case "hostKeyPin":
        return !sameValue(olds.hostKeyPin, pinList(news.hostKeyPin));
      case "level":
        return !sameValue(
          olds.level,
          news.level ?? defaultLevel(news.privateKey !== undefined, news.afterBoot),
        );
      case "keyFingerprint":
        if (news.privateKey === undefined) return olds.keyFingerprint !== undefined;
        if (containsUnknown(news.passphrase)) return true;
        return olds.keyFingerprint !== keyFingerprint(news.privateKey, news.passphrase);
      case "jumpHost":
        if (news.jumpHost === undefined) return olds.jumpHost !== undefined;
        if (
          news.jumpHost.privateKey === undefined &&
          containsUnknown([news.privateKey, news.passphrase])
        )
          return true;
        return !sameValue(
          olds.jumpHost,
          recordJumpHost(news.jumpHost, news.privateKey, news.passphrase),
        );
      default:
        return !sameValue(olds[field], value);
    }
  } catch {
    return true;
  }
}
