// Asserting that no secret reached some text (a log line, an error, serialized state).
import assert from "node:assert/strict";
import { isWireSecret } from "../../components/plugin/wire";

/**
 * A check that `text` holds none of `secrets` (passphrases) and no line of `privateKeys` (their base64 body, the
 * lines a leak would carry). `where` names the text in the failure.
 */
export function noSecretIn(
  secrets: string[],
  privateKeys: string[],
): (text: string, where: string) => void {
  const keyLines = privateKeys
    .flatMap((k) => k.split("\n"))
    .filter((l) => l.length > 20 && !l.startsWith("-----"));
  return (text, where) => {
    for (const secret of secrets) assert.ok(!text.includes(secret), `no passphrase in ${where}`);
    for (const line of keyLines) assert.ok(!text.includes(line), `no private key line in ${where}`);
  };
}

/** The value with every secret-marked part (Pulumi's wire marker) replaced: what must hold no secret. */
export function unmarked(value: unknown): unknown {
  if (isWireSecret(value)) return "[secret]";
  if (Array.isArray(value)) return value.map(unmarked);
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unmarked(v)]));
  return value;
}
