// Progress lines on stderr: one line when the attempts' outcome changes, a reminder every few seconds while
// it does not, and the host key when first seen. "+3.2s attempt 14: connection refused — sshd not listening yet"
import {
  CLASS_INFO,
  CLOUD_INIT_COMMAND,
  formatDuration,
  type AttemptEvent,
  type CommandStartEvent,
} from "../readiness";

const REPEAT_EVERY_MS = 5000;

export class ProgressPrinter {
  private lastKind?: string;
  private lastPrintedMs = 0;
  private runStartedMs = 0;
  private runCount = 0;
  private lastFingerprint?: string;

  constructor(private readonly write: (line: string) => void) {}

  onCommandStart = (event: CommandStartEvent): void => {
    const at = elapsed(event.elapsedMs);
    this.write(
      `${at} attempt ${event.attempt}: logged in; waiting for ${describeCommand(event.command)}`,
    );
    this.lastKind = undefined;
  };

  onAttempt = (event: AttemptEvent): void => {
    const at = elapsed(event.elapsedMs);
    const jump = event.hop === "jump" ? "jump host: " : "";
    if (event.hostKeyFingerprint && event.hostKeyFingerprint !== this.lastFingerprint) {
      this.lastFingerprint = event.hostKeyFingerprint;
      this.write(
        `${at} host key ${event.hostKeyFingerprint}${event.serverBanner ? ` (${event.serverBanner})` : ""}`,
      );
    }
    if (event.cutByDeadline) return;
    if (event.outcome === "ready") {
      this.write(`${at} attempt ${event.attempt}: ready — ${event.detail}`);
      return;
    }
    const info = CLASS_INFO[event.outcome];
    const kind = `${event.hop}:${event.outcome}`;
    if (kind !== this.lastKind) {
      this.lastKind = kind;
      this.runStartedMs = event.elapsedMs;
      this.runCount = 1;
      this.lastPrintedMs = event.elapsedMs;
      this.write(
        `${at} attempt ${event.attempt}: ${jump}${info.label} — ${info.meaning} (${event.detail})`,
      );
      return;
    }
    this.runCount += 1;
    if (event.elapsedMs - this.lastPrintedMs >= REPEAT_EVERY_MS) {
      this.lastPrintedMs = event.elapsedMs;
      this.write(
        `${at} attempt ${event.attempt}: ${jump}still ${info.label} (${this.runCount} attempts in ${formatDuration(event.elapsedMs - this.runStartedMs)})`,
      );
    }
  };
}

function describeCommand(command: string): string {
  return command === CLOUD_INIT_COMMAND ? "`cloud-init status --wait`" : `\`${command}\``;
}

/** "+3.2s", rounded down like formatDuration so the lines agree with the final result. */
function elapsed(ms: number): string {
  return `+${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
}
