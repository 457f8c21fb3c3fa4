"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.formatCounts = formatCounts;
exports.summarizeTimeout = summarizeTimeout;
exports.summarizeMismatch = summarizeMismatch;
exports.summarizeFatal = summarizeFatal;
// The words a person reads when a wait ends badly: what never happened, how often each failure occurred,
// over how long, the likely cause, and the last error. Built only from non-secret data.
const classify_1 = require("./classify");
const duration_1 = require("./duration");
/** "212 × connection refused, 3 × key not accepted", most frequent first. */
function formatCounts(counts) {
    return Object.entries(counts)
        .sort((a, b) => b[1] - a[1])
        .map(([failure, n]) => `${n} × ${classify_1.CLASS_INFO[failure].label}`)
        .join(", ");
}
function headline(s) {
    const where = `${s.host}:${s.port}${s.jump ? ` (via ${s.jump})` : ""}`;
    if (s.last.hop === "jump")
        return `could not use jump host ${s.jump} to reach ${s.host}:${s.port}`;
    switch (s.furthest) {
        case "connect":
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
function summarizeTimeout(s) {
    const lines = [
        `${headline(s)}: ${formatCounts(s.counts)} over ${(0, duration_1.formatDuration)(s.elapsedMs)} (${classify_1.CLASS_INFO[s.last.class].hint}). Last error: ${s.last.detail}`,
    ];
    if (s.commandOutput)
        lines.push(`Last output of the readiness command:\n${s.commandOutput}`);
    return lines.join("\n");
}
/** The message of a host key mismatch; `where` is "HOST:PORT" or "jump host USER@HOST:PORT". */
function summarizeMismatch(where, presented, expected) {
    const keys = presented.map((k) => `${k.type} ${k.fingerprint}`).join(", ");
    return (`host key mismatch on ${where}: the server presented ${keys}, but the pin accepts only ${expected}. ` +
        `Nothing was sent beyond the key exchange. ${classify_1.CLASS_INFO["host-key-mismatch"].hint}`);
}
/** The message of a failure that waiting cannot fix (cloud-init failed, forwarding refused). */
function summarizeFatal(s) {
    if (s.last.class === "command-failed") {
        const lines = [
            `cloud-init on ${s.host}:${s.port} failed (${s.last.detail}) after ${(0, duration_1.formatDuration)(s.elapsedMs)}; waiting longer will not help. ` +
                "Check /var/log/cloud-init.log and /var/log/cloud-init-output.log on the VM, or its serial log (boot diagnostics).",
        ];
        if (s.commandOutput)
            lines.push(`Output of cloud-init status:\n${s.commandOutput}`);
        return lines.join("\n");
    }
    return `${headline(s)}: ${s.last.detail} (${classify_1.CLASS_INFO[s.last.class].hint})`;
}
