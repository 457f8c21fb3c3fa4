// Text from servers (banners, command output, disconnect messages) and from users is data: before it reaches a
// terminal, control characters become visible escapes, so a hostile server cannot clear a screen, retitle a
// window, ring the bell, reorder text or start a line that looks like ours; an invalid value is echoed only as a
// short prefix, and a private key never.

/** C0 controls but tab, DEL, C1 controls, and the bidirectional overrides and isolates. */
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's job
const UNPRINTABLE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const NOT_JSON_SAFE = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function escape(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** One line safe for a terminal: every control character (line breaks included) as `\xHH`. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escape);
}

/**
 * Several lines of our own making safe for a terminal: each line as `printable`, the line breaks kept. Every
 * line break in the text must be ours: server text enters messages through `printable` or `quotedLines`.
 */
export function printableLines(text: string): string {
  return text
    .split("\n")
    .map((line) => printable(line.replace(/\r$/, "")))
    .join("\n");
}

/** Put before each line of multi-line server text (a command's output), so that none can pass for ours. */
export const QUOTE = "  | ";

/**
 * Text that is multi-line by nature and not ours (the readiness command's output, cloud-init's status): each
 * line escaped as `printable` and set under `QUOTE`, so a server can add lines but never one of ours. Blank lines
 * at either end are dropped.
 */
export function quotedLines(text: string): string {
  return text
    .replace(/^(\s*\n)+|\s+$/g, "")
    .split("\n")
    .map((line) => `${QUOTE}${printable(line.replace(/\r$/, ""))}`)
    .join("\n");
}

/**
 * JSON text whose strings show no control character raw: JSON.stringify escapes C0 already; this escapes DEL,
 * C1 and the bidirectional controls too (as `\u00XX`), which JSON allows but terminals act on.
 */
export function jsonSafe(json: string): string {
  return json.replace(
    NOT_JSON_SAFE,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * An invalid value as an error message may echo it: printable, at most `max` characters, and never a key or
 * other long secret pasted into the wrong field (a PEM block is named, not shown).
 */
export function shown(value: unknown, max = 40): string {
  const text = String(value);
  if (looksLikePrivateKey(text)) return "(a private key)";
  const safe = printable(text);
  return safe.length > max ? `${safe.slice(0, max)}…` : safe;
}

/** PEM and OpenSSH private key headers, PuTTY's, and an OpenSSH key body's first bytes in base64. */
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----|PuTTY-User-Key-File|b3BlbnNzaC1rZXktdjE/;

/** Whether a value a user gave holds a private key (pasted into the wrong field, or a whole key file). */
export function looksLikePrivateKey(text: string): boolean {
  return PRIVATE_KEY.test(text);
}

/** What a redacted secret is replaced with. */
export const REDACTED = "[secret]";
/** Shorter secrets are not masked: masking one or two characters would garble every line and hide nothing. */
const MIN_REDACTED_LENGTH = 3;

/**
 * Replaces every occurrence of the given secret values in a text, raw or as `printable` escaped them: the last
 * screen before a line leaves a Pulumi provider, for values that the program marked secret.
 */
export function redactor(secrets: Iterable<string>): (text: string) => string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_REDACTED_LENGTH) continue;
    forms.add(secret);
    forms.add(printable(secret));
    for (const line of secret.split("\n")) if (line.trim().length >= 16) forms.add(line.trim());
  }
  // Longest first, so that a secret containing another is replaced whole.
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  return (text) => ordered.reduce((out, form) => out.split(form).join(REDACTED), text);
}
