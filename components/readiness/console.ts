// The VM's serial console, as a second witness: the lines that say why a boot went wrong (for a wait that gives
// up), and the host keys cloud-init printed there (a trust that needs no pin). Pure text work: reading the log
// (a file, or Azure's boot diagnostics) is the caller's.
import { utils } from "ssh2";
import { fingerprintOf, HOST_KEY_TYPES } from "./host-key";
import { printable, REDACTED } from "./printable";

/** The kernel's first line of every boot: where the current boot's part of a console log begins. */
const BOOT_START = /^(?:\[\s*\d+\.\d+\]\s*)?Linux version \d/;

/** The current boot's lines: those after the last line where a kernel started (all of them if none did). */
export function currentBoot(log: string): string[] {
  const lines = log.split(/\r?\n/);
  return lines.slice(lastBootStart(lines));
}

/** The index of the line that starts the last boot in `lines`; 0 when none does. */
function lastBootStart(lines: string[]): number {
  let start = 0;
  lines.forEach((line, i) => {
    if (BOOT_START.test(line)) start = i;
  });
  return start;
}

/** Lines of a console that tell why a boot or its start-up went wrong, or where it ended. */
const MATTERS: RegExp[] = [
  // cloud-init: its errors and warnings, a failed module or script, a traceback, and its last word.
  /cloud-init.*\b(?:ERROR|WARNING|CRITICAL|Traceback|failed|Failed)\b/,
  /Cloud-init v\. \S+ (?:finished at|running 'modules:final')/,
  /\b(?:ERROR|WARNING|Traceback)\b.*\bcc_\w+|\bscripts-user\b.*\bfailed\b/,
  // sshd and systemd units that failed.
  /\bsshd\[\d+\]:.*\b(?:error|fatal|FATAL|failed|Failed)\b/i,
  /\[FAILED\]|Failed to start\b|\bentered failed state\b/,
  // The kernel and the disk: a panic, I/O and file system errors, memory.
  /Kernel panic|VFS: Unable to mount|I\/O error|EXT4-fs error|XFS.*(?:error|corruption)|Out of memory|oom-kill/i,
  /You are in emergency mode|Give root password for maintenance|Dependency failed for/,
];

/** At most this many lines of a console tail, each at most LINE_CHARS. */
export const TAIL_LINES = 15;
const LINE_CHARS = 240;

/**
 * Secrets a console can carry: cloud-init warnings quote user data, which may hold host private keys. A PEM
 * block (whole or cut off), and any base64 run long enough to be key material or a token, become REDACTED.
 */
const PEM_BLOCK =
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;
const LONG_BASE64 = /[A-Za-z0-9+/]{48,}={0,2}/g;

/** A console line made safe to show: no secret, no control character, not too long. */
export function screenConsoleLine(line: string): string {
  const screened = line.replace(PEM_BLOCK, REDACTED).replace(LONG_BASE64, REDACTED);
  const safe = printable(screened.replace(/\r$/, ""));
  return safe.length > LINE_CHARS ? `${safe.slice(0, LINE_CHARS)}…` : safe;
}

/**
 * The last lines of the current boot that matter (cloud-init's errors and its last line, sshd's and systemd's
 * failures, the kernel's and the disk's), screened: at most TAIL_LINES, oldest first. Empty when none matter.
 */
export function consoleTail(log: string): string[] {
  return currentBoot(log)
    .filter((line) => MATTERS.some((pattern) => pattern.test(line)))
    .slice(-TAIL_LINES)
    .map(screenConsoleLine);
}

const KEYS_BEGIN = "-----BEGIN SSH HOST KEY KEYS-----";
const KEYS_END = "-----END SSH HOST KEY KEYS-----";
/**
 * A public key in the record. cloud-init prints the host key files as they are: a file without a final line break
 * runs into the next (`… commentssh-ed25519 AAAA…`), so keys are found by their type and base64, not by lines.
 */
const PUBLIC_KEY =
  /(ssh-ed25519|ecdsa-sha2-nistp(?:256|384|521)|ssh-rsa) (AAAA[A-Za-z0-9+/]+={0,2})/g;

/** A host key the console's record lists, as an OpenSSH public key line without comment. */
export interface ConsoleHostKey {
  type: string;
  line: string;
  fingerprint: string;
}

/**
 * The host keys cloud-init printed on the console in the current boot: the keys between the last complete
 * `-----BEGIN SSH HOST KEY KEYS-----` / `-----END SSH HOST KEY KEYS-----` pair of this boot; undefined when this
 * boot has no complete record (yet). Nothing outside the markers counts, nor a record from an earlier boot, nor
 * a key whose type and blob do not parse as one. cloud-init prints the record once per instance (its
 * keys_to_console module runs on an instance's first boot only): a boot after a reboot has none.
 */
export function consoleHostKeys(log: string): ConsoleHostKey[] | undefined {
  const boot = currentBoot(log).join("\n");
  const end = boot.lastIndexOf(KEYS_END);
  if (end < 0) return undefined;
  const begin = boot.lastIndexOf(KEYS_BEGIN, end);
  if (begin < 0) return undefined;
  const record = boot.slice(begin + KEYS_BEGIN.length, end);
  const keys: ConsoleHostKey[] = [];
  for (const [, type, blob] of record.matchAll(PUBLIC_KEY)) {
    const parsed = utils.parseKey(`${type} ${blob}`);
    if (parsed instanceof Error || Array.isArray(parsed) || parsed.type !== type) continue;
    const line = `${type} ${blob}`;
    if (!keys.some((k) => k.line === line))
      keys.push({ type, line, fingerprint: fingerprintOf(parsed.getPublicSSH()) });
  }
  // Ed25519 first, as ssh2 prefers: the check offers the keys' types in this order, so sshd presents that one.
  keys.sort((a, b) => HOST_KEY_TYPES.indexOf(a.type) - HOST_KEY_TYPES.indexOf(b.type));
  return keys.length > 0 ? keys : undefined;
}

/** Whether the log holds a host key record from an earlier boot than the current one (see consoleHostKeys). */
export function earlierHostKeyRecord(log: string): boolean {
  const lines = log.split(/\r?\n/);
  return lines.slice(0, lastBootStart(lines)).some((line) => line.includes(KEYS_END));
}
