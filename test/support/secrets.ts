// Asserting that no secret reached some text (a log line, an error, serialized state).
import assert from "node:assert/strict";

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
