// The user's own user data, read the way cloud-init reads it (its user_data.py): a MIME document is split
// into parts (base64, quoted-printable and gzip undone), a part's type comes from its first line when its
// Content-Type does not say, and cloud-config archives are opened. Then every part that can undo the pinned
// host keys is checked, so the mistake is named at preview instead of as a host key mismatch at boot.
import { InvalidOptionError } from "../readiness/errors";
import { gunzipSync } from "node:zlib";
import { parse } from "yaml";

/** cloud-init's types by first line (handlers/__init__.py INCLUSION_TYPES_MAP), longest first, as it matches. */
const TYPES_BY_PREFIX: [string, string][] = (
  [
    ["#include", "text/x-include-url"],
    ["#include-once", "text/x-include-once-url"],
    ["#!", "text/x-shellscript"],
    ["#cloud-config", "text/cloud-config"],
    ["#part-handler", "text/part-handler"],
    ["#cloud-boothook", "text/cloud-boothook"],
    ["#cloud-config-archive", "text/cloud-config-archive"],
    ["#cloud-config-jsonp", "text/cloud-config-jsonp"],
    ["## template: jinja", "text/jinja2"],
  ] as [string, string][]
).sort((a, b) => b[0].length - a[0].length);

/** Types cloud-init guesses from the content (user_data.py TYPE_NEEDED, and x-shellscript, which it rechecks). */
const GUESSED_TYPES = ["text/plain", "text/x-not-multipart", "text/x-shellscript"];
const GZIP_TYPES = [
  "application/gzip",
  "application/gzip-compressed",
  "application/gzipped",
  "application/x-compress",
  "application/x-compressed",
  "application/x-gunzip",
  "application/x-gzip",
  "application/x-gzip-compressed",
];

/** cloud-init's type for a payload by its first characters (case and leading space ignored), or undefined. */
export function typeFromContent(text: string): string | undefined {
  const start = text.trimStart().toLowerCase();
  return TYPES_BY_PREFIX.find(([prefix]) => start.startsWith(prefix))?.[1];
}

/** True when cloud-init reads `text` as a MIME document ("mime-version:" in its first 4096 characters). */
export function isMime(text: string): boolean {
  return text.slice(0, 4096).toLowerCase().includes("mime-version:");
}

/**
 * The MIME type of a user-data document, as it goes into the component's multi-part document: "multipart" for
 * a MIME document, else cloud-init's type by its first line. Throws a TypeError naming `name` when cloud-init
 * would not run it.
 */
export function userDataType(text: string, name = "customData"): string {
  if (isMime(text)) {
    if (!/^content-type:/im.test(headerBlock(text))) {
      throw new InvalidOptionError(name, `is a MIME document without a Content-Type header`);
    }
    return "multipart";
  }
  const type = typeFromContent(text);
  if (!type) {
    throw new InvalidOptionError(
      name,
      `is not user data cloud-init runs: start it with "#cloud-config", "#!" (a script), "#cloud-boothook", "#include", or give a MIME multi-part document`,
    );
  }
  return type;
}

export interface UserDataPart {
  /** The type cloud-init handles the part as. */
  type: string;
  /** The part's text, decoded. */
  text: string;
  /** Where it is, for messages: "customData", "customData part 2", "customData part 2, archive entry 1". */
  where: string;
}

/** The parts cloud-init handles, in order, from one user-data document. */
export function userDataParts(text: string, name = "customData"): UserDataPart[] {
  const parts = !isMime(text)
    ? [{ type: typeFromContent(text) ?? "text/plain", text }]
    : mimeLeaves(parseMessage(text)).map((leaf) => {
        let type = leaf.type;
        let body = leaf.body;
        if (GZIP_TYPES.includes(type)) {
          body = gunzipSync(body);
          type = "text/plain";
        }
        const content = body.toString("utf8");
        if (GUESSED_TYPES.includes(type)) type = typeFromContent(content) ?? type;
        return { type, text: content };
      });
  return parts.flatMap((part, i) => {
    const where = parts.length === 1 ? name : `${name} part ${i + 1}`;
    if (part.type !== "text/cloud-config-archive") return [{ ...part, where }];
    return archiveEntries(part.text, where);
  });
}

/** A cloud-config archive's entries (user_data.py `_explode_archive`): a YAML list of strings or {content, type}. */
function archiveEntries(text: string, where: string): UserDataPart[] {
  const entries = parseYaml(text, where, "cloud-config archive");
  if (!Array.isArray(entries)) {
    throw new InvalidOptionError(where, `is a cloud-config archive but not a YAML list`);
  }
  return entries.flatMap((entry, i) => {
    const at = `${where}, archive entry ${i + 1}`;
    const item =
      typeof entry === "string" ? { content: entry } : (entry as Record<string, unknown>);
    if (typeof item !== "object" || item === null || typeof item.content !== "string") return [];
    const type =
      typeof item.type === "string" && item.type !== ""
        ? item.type
        : (typeFromContent(item.content) ?? "text/cloud-config");
    return type === "text/cloud-config-archive"
      ? archiveEntries(item.content, at)
      : [{ type, text: item.content, where: at }];
  });
}

interface Message {
  headers: Map<string, string>;
  body: string;
}

function headerBlock(text: string): string {
  const end = text.search(/\r?\n\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

function parseMessage(text: string): Message {
  const normalized = text.replace(/\r\n/g, "\n");
  const end = normalized.indexOf("\n\n");
  const head = end < 0 ? normalized : normalized.slice(0, end);
  const body = end < 0 ? "" : normalized.slice(end + 2);
  const headers = new Map<string, string>();
  // Folded header lines (starting with white space) continue the one before.
  for (const line of head.replace(/\n[ \t]+/g, " ").split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

/** A header's value without parameters, and one parameter. */
function headerValue(value: string | undefined): string {
  return (value ?? "").split(";")[0].trim().toLowerCase();
}
function headerParameter(value: string | undefined, parameter: string): string | undefined {
  const match = new RegExp(`;\\s*${parameter}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, "i").exec(
    value ?? "",
  );
  return match ? (match[1] ?? match[2]) : undefined;
}

/** The leaves of a MIME message, in order, bodies decoded from their transfer encoding. */
function mimeLeaves(message: Message): { type: string; body: Buffer }[] {
  const contentType = message.headers.get("content-type");
  const type = headerValue(contentType) || "text/plain";
  if (type.startsWith("multipart/")) {
    const boundary = headerParameter(contentType, "boundary");
    if (!boundary) return [];
    const parts: string[] = [];
    let current: string[] | undefined;
    for (const line of message.body.split("\n")) {
      const trimmed = line.trimEnd();
      if (trimmed === `--${boundary}--`) break;
      if (trimmed === `--${boundary}`) {
        if (current) parts.push(current.join("\n"));
        current = [];
      } else if (current) {
        current.push(line);
      }
    }
    if (current) parts.push(current.join("\n"));
    return parts.flatMap((part) => mimeLeaves(parseMessage(part)));
  }
  const encoding = headerValue(message.headers.get("content-transfer-encoding"));
  const body =
    encoding === "base64"
      ? Buffer.from(message.body.replace(/\s+/g, ""), "base64")
      : encoding === "quoted-printable"
        ? decodeQuotedPrintable(message.body)
        : Buffer.from(message.body, "utf8");
  return [{ type, body }];
}

function decodeQuotedPrintable(text: string): Buffer {
  const bytes: number[] = [];
  const source = Buffer.from(text.replace(/=\r?\n/g, ""), "utf8");
  for (let i = 0; i < source.length; i++) {
    const hex = source.subarray(i + 1, i + 3).toString("latin1");
    if (source[i] === 0x3d && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(source[i]);
    }
  }
  return Buffer.from(bytes);
}

/** YAML as cloud-init loads it (PyYAML: YAML 1.1, so `no` and `off` are false; one document). */
function parseYaml(text: string, where: string, what: string): unknown {
  try {
    return parse(text, { version: "1.1" });
  } catch (error) {
    throw new InvalidOptionError(
      where,
      `is a ${what} that is not valid YAML (${(error as Error).message.split("\n")[0]}); cloud-init would skip it and report an error`,
    );
  }
}

/** Keys of a cloud-config that take the host keys out of the component's hands. */
const PIN_BREAKERS =
  "ssh_keys (it would replace the component's host keys) or ssh_deletekeys: false (it would keep the image's keys)";

/**
 * Checks the user's user data against the pinned host keys. Throws a TypeError naming the part and the key
 * when a part sets `ssh_keys` or `ssh_deletekeys: false`; returns warnings for parts it cannot see into.
 */
export function checkUserData(text: string, name = "customData"): { warnings: string[] } {
  const warnings: string[] = [];
  userDataType(text, name);
  for (const part of userDataParts(text, name)) {
    const refuse = (key: string): never => {
      throw new InvalidOptionError(
        `${part.where}`,
        `sets ${key}: the component installs the VM's host keys and pins them, so user data must not set ${PIN_BREAKERS}. Remove it, or set hostKeyTrust: "first-seen" to manage host keys yourself`,
      );
    };
    switch (part.type) {
      case "text/cloud-config": {
        const config = parseYaml(part.text, part.where, "cloud-config");
        if (typeof config !== "object" || config === null || Array.isArray(config)) {
          throw new InvalidOptionError(
            `${part.where}`,
            `is a cloud-config without settings (cloud-init needs a YAML mapping after "#cloud-config" and reports an empty one as an error)`,
          );
        }
        const settings = config as Record<string, unknown>;
        if ("ssh_keys" in settings) refuse("ssh_keys");
        if (settings.ssh_deletekeys === false) refuse("ssh_deletekeys: false");
        break;
      }
      case "text/cloud-config-jsonp": {
        let patch: unknown;
        try {
          patch = JSON.parse(part.text.trimStart().replace(/^#cloud-config-jsonp/i, ""));
        } catch (error) {
          throw new InvalidOptionError(
            `${part.where}`,
            `is a cloud-config JSON patch that is not valid JSON (${(error as Error).message})`,
          );
        }
        for (const op of Array.isArray(patch) ? patch : []) {
          const path = String((op as { path?: unknown })?.path ?? "");
          if (/^\/ssh_keys(\/|$)/.test(path)) refuse("ssh_keys");
          if (/^\/ssh_deletekeys$/.test(path)) refuse("ssh_deletekeys");
        }
        break;
      }
      case "text/jinja2":
        // A template is rendered on the VM; its top-level keys are still visible as lines.
        if (/^ssh_keys\s*:/m.test(part.text)) refuse("ssh_keys");
        if (/^ssh_deletekeys\s*:\s*(false|no|off)\b/im.test(part.text))
          refuse("ssh_deletekeys: false");
        break;
      case "text/x-include-url":
      case "text/x-include-once-url":
        warnings.push(
          `[${part.where}] includes user data from URLs, which cannot be checked before boot: if it sets ssh_keys or ssh_deletekeys: false, the VM's host keys will not match the pin`,
        );
        break;
      default:
        // Scripts and boothooks run as they are; one that makes new host keys breaks the pin.
        if (/ssh_host_|ssh-keygen\s+-A|dpkg-reconfigure\s+openssh-server/.test(part.text)) {
          warnings.push(
            `[${part.where}] touches the SSH host keys: if it replaces them, sshd presents keys the readiness check does not accept`,
          );
        }
    }
  }
  return { warnings };
}
