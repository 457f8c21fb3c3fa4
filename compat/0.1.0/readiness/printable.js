"use strict";
// Text from servers (banners, command output, disconnect messages) and from users is data: before it reaches a
// terminal, control characters become visible escapes, so a hostile server cannot clear a screen, retitle a
// window, ring the bell or reorder text; an invalid value is echoed only as a short prefix.
Object.defineProperty(exports, "__esModule", { value: true });
exports.printable = printable;
exports.printableLines = printableLines;
exports.jsonSafe = jsonSafe;
exports.shown = shown;
/** C0 controls but tab, DEL, C1 controls, and the bidirectional overrides and isolates. */
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's job
const UNPRINTABLE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const NOT_JSON_SAFE = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
function escape(char) {
    const code = char.charCodeAt(0);
    return code <= 0xff
        ? `\\x${code.toString(16).padStart(2, "0")}`
        : `\\u${code.toString(16).padStart(4, "0")}`;
}
/** One line safe for a terminal: every control character (line breaks included) as `\xHH`. */
function printable(text) {
    return text.replace(UNPRINTABLE, escape);
}
/** Several lines safe for a terminal: each line as `printable`, the line breaks kept. */
function printableLines(text) {
    return text
        .split("\n")
        .map((line) => printable(line.replace(/\r$/, "")))
        .join("\n");
}
/**
 * JSON text whose strings show no control character raw: JSON.stringify escapes C0 already; this escapes DEL,
 * C1 and the bidirectional controls too (as `\u00XX`), which JSON allows but terminals act on.
 */
function jsonSafe(json) {
    return json.replace(NOT_JSON_SAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
/**
 * An invalid value as an error message may echo it: printable, at most `max` characters, and never a key or
 * other long secret pasted into the wrong field (a PEM block is named, not shown).
 */
function shown(value, max = 40) {
    const text = String(value);
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----|PuTTY-User-Key-File/.test(text))
        return "(a private key)";
    const safe = printable(text);
    return safe.length > max ? `${safe.slice(0, max)}…` : safe;
}
