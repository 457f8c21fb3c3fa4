// Progress lines on stderr: one line when the attempts' outcome changes, a reminder every few seconds while
// it does not, and the host key when first seen. "+3.2s attempt 14: connection refused — sshd not listening yet"
import { CLASS_INFO, formatDuration, type AttemptEvent } from "../readiness";

const REPEAT_EVERY_MS = 5000;

export class ProgressPrinter {
  private lastKind?: string;
  private lastPrintedMs = 0;
  private runStartedMs = 0;
  private runCount = 0;
  private lastFingerprint?: string;

  constructor(private readonly write: (line: string) => void) {}

  onAttempt = (event: AttemptEvent): void => {
    const at = `+${(event.elapsedMs / 1000).toFixed(1)}s`;
    const jump = event.hop === "jump" ? "jump host: " : "";
    if (event.hostKeyFingerprint && event.hostKeyFingerprint !== this.lastFingerprint) {
      this.lastFingerprint = event.hostKeyFingerprint;
      this.write(
        `${at} host key ${event.hostKeyFingerprint}${event.serverBanner ? ` (${event.serverBanner})` : ""}`,
      );
    }
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
