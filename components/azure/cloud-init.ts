// The VM's custom data: the component's cloud-config (the pinned host key) and the user's own user data,
// merged into one multi-part MIME document as cloud-init reads it, and checked against Azure's size limit.
import { createHash } from "node:crypto";
import { stringify } from "yaml";
import { CUSTOM_DATA_LIMIT } from "./args";

export interface HostKeyPair {
  /** OpenSSH private key text (ed25519). */
  privateKey: string;
  /** OpenSSH public key line. */
  publicKey: string;
}

/**
 * cloud-config that installs the given Ed25519 host key, deletes the image's keys and generates no others,
 * so the pinned key is the only one sshd presents.
 */
export function hostKeyCloudConfig(hostKey: HostKeyPair): string {
  return `#cloud-config\n${stringify({
    ssh_deletekeys: true,
    ssh_genkeytypes: [],
    ssh_keys: { ed25519_private: hostKey.privateKey, ed25519_public: hostKey.publicKey },
  })}`;
}

const PART_TYPES: [RegExp, string][] = [
  [/^#cloud-config\b/, "text/cloud-config"],
  [/^#!/, "text/x-shellscript"],
  [/^#cloud-boothook\b/, "text/cloud-boothook"],
  [/^#include\b/, "text/x-include-url"],
  [/^#part-handler\b/, "text/part-handler"],
  [/^## template: jinja\b/, "text/jinja2"],
  [/^Content-Type: multipart\//i, "multipart"],
];

/** The MIME type cloud-init gives user data by its first line; throws a TypeError naming `name` otherwise. */
export function userDataType(text: string, name = "customData"): string {
  const type = PART_TYPES.find(([pattern]) => pattern.test(text))?.[1];
  if (!type) {
    throw new TypeError(
      `[${name}] is not user data cloud-init runs: start it with "#cloud-config", "#!" (a script), "#cloud-boothook", "#include", or give a MIME multi-part document`,
    );
  }
  return type;
}

/**
 * One user-data document from the parts, in order: a single part as is, several as multipart/mixed. The
 * boundary is derived from the content, so the same parts always give the same bytes (custom data cannot
 * change without replacing the VM).
 */
export function mergeUserData(parts: string[]): string {
  if (parts.length === 1) return parts[0];
  const boundary = `==vm-with-ready-ssh-${createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 24)}==`;
  const body = parts.map((part, i) => {
    const type = userDataType(part);
    // A MIME document carries its own headers; other parts get ours.
    const headers =
      type === "multipart"
        ? ""
        : `Content-Type: ${type}; charset="utf-8"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 8bit\n` +
          `Content-Disposition: attachment; filename="part-${i + 1}"\n\n`;
    return `--${boundary}\n${headers}${part.endsWith("\n") ? part : `${part}\n`}`;
  });
  return `Content-Type: multipart/mixed; boundary="${boundary}"\nMIME-Version: 1.0\n\n${body.join("")}--${boundary}--\n`;
}

/** Base64 custom data for Azure; a RangeError naming `name` when the decoded size is over Azure's limit. */
export function encodeCustomData(userData: string, name = "customData"): string {
  const size = Buffer.byteLength(userData, "utf8");
  if (size > CUSTOM_DATA_LIMIT) {
    throw new RangeError(
      `[${name}] makes the VM's custom data ${size.toLocaleString("en-US")} bytes with the component's own cloud-config; Azure allows ${CUSTOM_DATA_LIMIT.toLocaleString("en-US")}`,
    );
  }
  return Buffer.from(userData, "utf8").toString("base64");
}
