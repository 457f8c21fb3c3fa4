// Progress lines for people: one line when the attempts' outcome changes, a reminder while it does not, and the
// host key when first seen. "+3.2s attempt 14: connection refused — sshd not listening yet"
// The engine never prints; the CLI and the Pulumi provider print these lines where their users look.
import { printable } from "./printable";
import { CLASS_INFO } from "./classify";
import { formatDuration } from "./duration";
import type { AttemptEvent, CommandStartEvent } from "./events";
import { CLOUD_INIT_COMMAND } from "./options";

export interface ProgressOptions {
  /** Put before every line, e.g. "[builder-ready] ". Defaults to none. */
  prefix?: string;
  /** Least time between two lines about the same outcome, and between heartbeats. Defaults to 5 s. */
  repeatEveryMs?: number;
  /**
   * Whether a custom readiness command is shown as written. Defaults to true; false (a secret command) names it
   * "the readiness command". The default command is always shown.
   */
  showCommand?: boolean;
}

export class ProgressPrinter {
  private lastKind?: string;
  private lastPrintedMs = 0;
  private runStartedMs = 0;
  private runCount = 0;
  private lastFingerprint?: string;
  private lastLine = "";
  private lastWrittenMs = 0;
  private readonly prefix: string;
  private readonly repeatEveryMs: number;
  private readonly showCommand: boolean;

  constructor(
    private readonly output: (line: string) => void,
    options: ProgressOptions = {},
  ) {
    this.prefix = options.prefix ?? "";
    this.repeatEveryMs = options.repeatEveryMs ?? 5000;
    this.showCommand = options.showCommand ?? true;
  }

  private write(line: string, elapsedMs: number): void {
    this.lastLine = line.replace(/^\+[\d.]+s /, "");
    this.lastWrittenMs = elapsedMs;
    // Banners and details come from the server: printed, never obeyed by the terminal.
    this.output(printable(`${this.prefix}${line}`));
  }

  /**
   * Call now and then (a timer): writes "still waiting" when nothing was written for the repeat interval, e.g.
   * while cloud-init runs for minutes inside one attempt.
   */
  heartbeat(elapsedMs: number): void {
    if (elapsedMs - this.lastWrittenMs < this.repeatEveryMs) return;
    this.write(
      `${elapsed(elapsedMs)} still waiting (last: ${this.lastLine || "starting"})`,
      elapsedMs,
    );
  }

  onCommandStart(event: CommandStartEvent): void {
    const at = elapsed(event.elapsedMs);
    this.write(
      `${at} attempt ${event.attempt}: logged in; waiting for ${describeCommand(event.command, this.showCommand)}`,
      event.elapsedMs,
    );
    this.lastKind = undefined;
  }

  onAttempt(event: AttemptEvent): void {
    const at = elapsed(event.elapsedMs);
    const jump = event.hop === "jump" ? "jump host: " : "";
    if (event.hostKeyFingerprint && event.hostKeyFingerprint !== this.lastFingerprint) {
      this.lastFingerprint = event.hostKeyFingerprint;
      this.write(
        `${at} host key ${event.hostKeyFingerprint}${event.serverBanner ? ` (${event.serverBanner})` : ""}`,
        event.elapsedMs,
      );
    }
    if (event.cutByDeadline) return;
    if (event.outcome === "ready") {
      this.write(`${at} attempt ${event.attempt}: ready — ${event.detail}`, event.elapsedMs);
      return;
    }
    const info = CLASS_INFO[event.outcome];
    const kind = `${event.hop}:${event.outcome}`;
    // A mismatch is never routine: each is another key, or the probe for the server's other key types.
    if (kind !== this.lastKind || event.outcome === "host-key-mismatch") {
      this.lastKind = kind;
      this.runStartedMs = event.elapsedMs;
      this.runCount = 1;
      this.lastPrintedMs = event.elapsedMs;
      this.write(
        `${at} attempt ${event.attempt}: ${jump}${info.label} — ${info.meaning} (${event.detail})`,
        event.elapsedMs,
      );
      return;
    }
    this.runCount += 1;
    if (event.elapsedMs - this.lastPrintedMs >= this.repeatEveryMs) {
      this.lastPrintedMs = event.elapsedMs;
      this.write(
        `${at} attempt ${event.attempt}: ${jump}still ${info.label} (${this.runCount} attempts in ${formatDuration(event.elapsedMs - this.runStartedMs)})`,
        event.elapsedMs,
      );
    }
  }
}

function describeCommand(command: string, show: boolean): string {
  if (command === CLOUD_INIT_COMMAND) return "`cloud-init status --wait`";
  return show ? `\`${command}\`` : "the readiness command";
}

/** "+3.2s", rounded down like formatDuration so the lines agree with the final result. */
function elapsed(ms: number): string {
  return `+${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
}
