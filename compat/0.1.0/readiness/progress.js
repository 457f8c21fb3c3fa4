"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.ProgressPrinter = void 0;
// Progress lines for people: one line when the attempts' outcome changes, a reminder while it does not, and the
// host key when first seen. "+3.2s attempt 14: connection refused — sshd not listening yet"
// The engine never prints; the CLI and the Pulumi provider print these lines where their users look.
const printable_1 = require("./printable");
const classify_1 = require("./classify");
const duration_1 = require("./duration");
const options_1 = require("./options");
class ProgressPrinter {
    constructor(output, options = {}) {
        this.output = output;
        this.lastPrintedMs = 0;
        this.runStartedMs = 0;
        this.runCount = 0;
        this.lastLine = "";
        this.lastWrittenMs = 0;
        this.prefix = options.prefix ?? "";
        this.repeatEveryMs = options.repeatEveryMs ?? 5000;
    }
    write(line, elapsedMs) {
        this.lastLine = line.replace(/^\+[\d.]+s /, "");
        this.lastWrittenMs = elapsedMs;
        // Banners and details come from the server: printed, never obeyed by the terminal.
        this.output((0, printable_1.printable)(`${this.prefix}${line}`));
    }
    /**
     * Call now and then (a timer): writes "still waiting" when nothing was written for the repeat interval, e.g.
     * while cloud-init runs for minutes inside one attempt.
     */
    heartbeat(elapsedMs) {
        if (elapsedMs - this.lastWrittenMs < this.repeatEveryMs)
            return;
        this.write(`${elapsed(elapsedMs)} still waiting (last: ${this.lastLine || "starting"})`, elapsedMs);
    }
    onCommandStart(event) {
        const at = elapsed(event.elapsedMs);
        this.write(`${at} attempt ${event.attempt}: logged in; waiting for ${describeCommand(event.command)}`, event.elapsedMs);
        this.lastKind = undefined;
    }
    onAttempt(event) {
        const at = elapsed(event.elapsedMs);
        const jump = event.hop === "jump" ? "jump host: " : "";
        if (event.hostKeyFingerprint && event.hostKeyFingerprint !== this.lastFingerprint) {
            this.lastFingerprint = event.hostKeyFingerprint;
            this.write(`${at} host key ${event.hostKeyFingerprint}${event.serverBanner ? ` (${event.serverBanner})` : ""}`, event.elapsedMs);
        }
        if (event.cutByDeadline)
            return;
        if (event.outcome === "ready") {
            this.write(`${at} attempt ${event.attempt}: ready — ${event.detail}`, event.elapsedMs);
            return;
        }
        const info = classify_1.CLASS_INFO[event.outcome];
        const kind = `${event.hop}:${event.outcome}`;
        if (kind !== this.lastKind) {
            this.lastKind = kind;
            this.runStartedMs = event.elapsedMs;
            this.runCount = 1;
            this.lastPrintedMs = event.elapsedMs;
            this.write(`${at} attempt ${event.attempt}: ${jump}${info.label} — ${info.meaning} (${event.detail})`, event.elapsedMs);
            return;
        }
        this.runCount += 1;
        if (event.elapsedMs - this.lastPrintedMs >= this.repeatEveryMs) {
            this.lastPrintedMs = event.elapsedMs;
            this.write(`${at} attempt ${event.attempt}: ${jump}still ${info.label} (${this.runCount} attempts in ${(0, duration_1.formatDuration)(event.elapsedMs - this.runStartedMs)})`, event.elapsedMs);
        }
    }
}
exports.ProgressPrinter = ProgressPrinter;
function describeCommand(command) {
    return command === options_1.CLOUD_INIT_COMMAND ? "`cloud-init status --wait`" : `\`${command}\``;
}
/** "+3.2s", rounded down like formatDuration so the lines agree with the final result. */
function elapsed(ms) {
    return `+${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
}
