// The words a person reads when a wait ends badly: what never happened, how often each failure occurred,
// over how long, the likely cause, and the last error. Built only from non-secret data; the server's words appear
// escaped on one line (the last error) or as quoted lines (a command's output), never as lines of their own.
import { CLASS_INFO, type FailureClass, type Phase } from "./classify";
import { formatDuration } from "./duration";
import type { ConsoleReport, LastFailure } from "./errors";
import { endpoint, type HostKeyInfo } from "./host-key";
import { DID_NOT_RUN_MARKER, NOT_STARTED_MARKER, type Level } from "./options";
import { QUOTE, quotedLines } from "./printable";

/** The fatal detail of the default command's "did not run" verdict, as attempt.ts words it. */
const DID_NOT_RUN = DID_NOT_RUN_MARKER.replace(/^ssh-ready: /, "");

export interface SummaryInput {
  host: string;
  port: number;
  username?: string;
  level: Level;
  jump?: string;
  furthest: Phase;
  counts: Partial<Record<FailureClass, number>>;
  elapsedMs: number;
  last: LastFailure;
  commandOutput?: string;
  /** The attempt whose readiness command succeeded before a new login failed, if any. */
  commandSucceededIn?: number;
  /** The VM's console at the end, when the wait was given one. */
  console?: ConsoleReport;
  /** The host keys were to come from the console (`hostKeyPin: "console"`). */
  consolePin?: boolean;
}

/** "212 × connection refused, 3 × key not accepted", most frequent first. */
export function formatCounts(counts: Partial<Record<FailureClass, number>>): string {
  return (Object.entries(counts) as [FailureClass, number][])
    .sort((a, b) => b[1] - a[1])
    .map(([failure, n]) => `${n} × ${CLASS_INFO[failure].label}`)
    .join(", ");
}

function headline(s: SummaryInput): string {
  const where = `${endpoint(s.host, s.port)}${s.jump ? ` (via ${s.jump})` : ""}`;
  if (s.last.hop === "jump")
    return `could not use jump host ${s.jump} to reach ${endpoint(s.host, s.port)}`;
  // The command's session predates what ended new logins: provisioning changed the firewall, sshd or the keys.
  if (s.commandSucceededIn !== undefined)
    return (
      `${s.username}@${where} ran the readiness command (attempt ${s.commandSucceededIn}), but no new login ` +
      "worked after it (did a provisioning step change the firewall, sshd or the authorized keys?)"
    );
  switch (s.furthest) {
    case "connect":
      // With the console as the pin, no attempt connects before the console shows the host keys.
      if (s.consolePin && s.last.class === "no-console-keys")
        return `no host key of ${where} could be verified: the console never showed this boot's host keys, so no connection was made`;
      return `sshd on ${where} never answered`;
    case "banner":
      return `${where} accepted connections, but no SSH server ever answered`;
    case "handshake":
      return `sshd on ${where} never completed an SSH handshake`;
    case "auth":
      return `sshd on ${where} never accepted the key for user "${s.username}"`;
    case "command":
      return s.level === "command"
        ? `${s.username}@${where} logs in, but the readiness command never succeeded`
        : `${s.username}@${where} logs in, but could not run a command`;
  }
}

/** The message of a wait that ran out of time. */
export function summarizeTimeout(s: SummaryInput): string {
  const lines = [
    `${headline(s)}: ${formatCounts(s.counts)} over ${formatDuration(s.elapsedMs)} (${hint(s)}). Last error: ${s.last.detail}`,
  ];
  if (s.commandOutput)
    lines.push(`Last output of the readiness command:\n${quotedLines(s.commandOutput)}`);
  else if (s.last.class === "command-failed") lines.push("The readiness command printed nothing.");
  return [...lines, ...consoleLines(s.console)].join("\n");
}

/**
 * The likely cause of the last failure. The default command that was still waiting for cloud-init to start
 * says so: that is not "still running", and nothing on a host without systemd shows whether it ever will.
 */
function hint(s: SummaryInput): string {
  // A command cut while it runs reports its last line: the marker, and the dots after it, while it waits.
  if (
    s.last.class === "command-timeout" &&
    s.last.detail.includes(`last output: ${NOT_STARTED_MARKER}`)
  )
    return (
      "cloud-init had not started on this boot when the wait ended (`cloud-init status`: not run, or not started). Under systemd " +
      "it starts early in every boot, and the wait stops by itself once systemd has started the system without " +
      "it; without systemd nothing shows whether it will. If this host is not meant to run cloud-init, wait at " +
      "level auth, or with a readiness command of your own"
    );
  return CLASS_INFO[s.last.class].hint;
}

/**
 * The console's part of a give-up: its lines that matter, quoted (each already screened and escaped), or one
 * line on why there are none.
 */
export function consoleLines(report: ConsoleReport | undefined): string[] {
  if (!report) return [];
  if (report.unavailable !== undefined)
    return [`The VM's console could not be read (${report.source}: ${report.unavailable}).`];
  if (report.tail.length === 0)
    return [`The VM's console (${report.source}) shows nothing that matters in this boot.`];
  return [
    `The VM's console (${report.source}), this boot's last lines that matter:`,
    ...report.tail.map((line) => `${QUOTE}${line}`),
  ];
}

/**
 * The message of a host key mismatch; `where` is "HOST:PORT" or "jump host USER@HOST:PORT". The keys the server
 * presented and the pin each on a line of their own, so the two can be compared at a glance.
 */
export function summarizeMismatch(
  where: string,
  presented: HostKeyInfo[],
  expected: string,
): string {
  return [
    `host key mismatch on ${where}: the server presented no pinned host key, so nothing was sent beyond the key exchange.`,
    `  presented: ${presented.map((k) => `${k.type} ${k.fingerprint}`).join(", ")}`,
    `  pinned:    ${expected}`,
    "A different machine answers at this address, or the pin is out of date.",
  ].join("\n");
}

/** The message of a failure that waiting cannot fix (cloud-init failed, forwarding refused). */
export function summarizeFatal(s: SummaryInput): string {
  if (s.last.class === "command-failed" && s.last.detail.startsWith(DID_NOT_RUN)) {
    return [
      `${s.last.detail.replace(/^cloud-init/, `cloud-init on ${endpoint(s.host, s.port)}`)}, after ${formatDuration(s.elapsedMs)}; waiting longer will not help. ` +
        "It is installed and not disabled, but none of its stages started: are its units disabled or masked " +
        "(`systemctl status cloud-init-local cloud-init cloud-config cloud-final` on the VM)? If this host is not " +
        "meant to run cloud-init, wait at level auth, or with a readiness command of your own.",
      ...consoleLines(s.console),
    ].join("\n");
  }
  if (s.last.class === "command-failed") {
    const lines = [
      `cloud-init on ${endpoint(s.host, s.port)} failed (${s.last.detail}) after ${formatDuration(s.elapsedMs)}; waiting longer will not help. ` +
        "Check /var/log/cloud-init.log and /var/log/cloud-init-output.log on the VM, or its serial log (boot diagnostics).",
    ];
    if (s.commandOutput)
      lines.push(`Output of cloud-init status:\n${quotedLines(s.commandOutput)}`);
    return [...lines, ...consoleLines(s.console)].join("\n");
  }
  return [
    `${headline(s)}: ${s.last.detail} (${CLASS_INFO[s.last.class].hint})`,
    ...consoleLines(s.console),
  ].join("\n");
}
