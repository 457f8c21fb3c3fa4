// The ssh-ready command: parse the command line, run the engine, print progress on stderr and the result on
// stdout, exit 0 ready / 1 not ready / 2 bad input / 3 host key mismatch / 130 interrupted.
import { formatDuration } from "../readiness/duration";
import { endpoint } from "../readiness/host-key";
import {
  InvalidOptionError,
  ProgressPrinter,
  SshNotReadyError,
  waitForSsh,
  type SshReadyResult,
} from "../readiness";
import { jsonSafe, printableLines } from "../readiness/printable";
import { decryptKeys, resolveOptions } from "../readiness/resolve";
import { HELP, nameFlags, parseCommandLine, UsageError, type FlagNames } from "./args";

export const EXIT = {
  ready: 0,
  notReady: 1,
  usage: 2,
  hostKeyMismatch: 3,
  interrupted: 130,
} as const;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Aborting it interrupts the wait (SIGINT/SIGTERM in the real command). */
  signal?: AbortSignal;
  /**
   * Called once the options are checked and the keys decrypted, before the wait: the real command takes over
   * SIGINT/SIGTERM only then, so that Ctrl-C during a long key decryption ends it at once (by the signal).
   */
  prepared?: () => void;
  version?: string;
}

class Interrupted extends Error {}

/** Runs ssh-ready with `argv` (without node and the script). Resolves with the exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  let flags: FlagNames = {};
  // Known before parsing, so that a usage error is JSON too: every flag before a "--".
  const end = argv.indexOf("--");
  const json = argv.slice(0, end < 0 ? undefined : end).includes("--json");
  try {
    const parsed = parseCommandLine(argv, io.env);
    flags = parsed.flags;
    const { request } = parsed;
    if (request.help) {
      io.stdout(HELP);
      return EXIT.ready;
    }
    if (request.version) {
      io.stdout(`${io.version ?? "unknown"}\n`);
      return EXIT.ready;
    }
    // Every option checked and every key decrypted now (the engine keeps the parsed keys), while Ctrl-C still
    // ends the process at once: should a key be decrypted on this thread (no worker), no handler could answer.
    await decryptKeys(request.options);
    resolveOptions(request.options);
    io.prepared?.();
    const progress = new ProgressPrinter((line) => io.stderr(`${line}\n`));
    const controller = new AbortController();
    io.signal?.addEventListener("abort", () => controller.abort(new Interrupted("interrupted")), {
      once: true,
    });
    const started = performance.now();
    try {
      const result = await waitForSsh({
        ...request.options,
        signal: controller.signal,
        onAttempt: request.quiet ? undefined : (event) => progress.onAttempt(event),
        onCommandStart: request.quiet ? undefined : (event) => progress.onCommandStart(event),
      });
      io.stdout(json ? jsonLine(result) : printableLines(formatResult(result)));
      return EXIT.ready;
    } catch (error) {
      if (error instanceof Interrupted) {
        io.stderr(`ssh-ready: interrupted after ${formatDuration(performance.now() - started)}\n`);
        if (json) io.stdout(jsonLine({ error: { name: "Interrupted", message: "interrupted" } }));
        return EXIT.interrupted;
      }
      throw error;
    }
  } catch (error) {
    if (error instanceof SshNotReadyError) {
      io.stderr(`ssh-ready: ${printableLines(error.message)}\n`);
      if (json) io.stdout(jsonLine({ error: error.toJSON() }));
      return error.code === "HOST_KEY_MISMATCH" ? EXIT.hostKeyMismatch : EXIT.notReady;
    }
    if (error instanceof UsageError || error instanceof InvalidOptionError) {
      // Every usage error ends the same way, whether the command line or the engine found it. Any other
      // error is a bug of ours, not the user's input: it is not dressed as a usage error.
      const message =
        error instanceof InvalidOptionError
          ? `${flags[error.option] ?? error.option} ${nameFlags(error.reason, flags)}`
          : error.message;
      io.stderr(`ssh-ready: ${printableLines(message)}\nTry 'ssh-ready --help'.\n`);
      if (json) io.stdout(jsonLine({ error: { name: "UsageError", message } }));
      return EXIT.usage;
    }
    throw error;
  }
}

/** JSON for stdout: text from the server appears only as JSON escapes, never as raw control characters. */
function jsonLine(value: unknown): string {
  return `${jsonSafe(JSON.stringify(value, null, 2))}\n`;
}

function formatResult(r: SshReadyResult): string {
  const who = r.username ? `${r.username}@` : "";
  const lines = [
    `ready: ${who}${endpoint(r.host, r.port)} at level ${r.level} after ${formatDuration(r.waitedMs)} (${r.attempts} attempt${r.attempts === 1 ? "" : "s"})`,
  ];
  if (r.serverBanner) lines.push(`banner: ${r.serverBanner}`);
  if (r.hostKeyFingerprint)
    lines.push(`host key: ${r.hostKey?.split(" ")[0]} ${r.hostKeyFingerprint}`);
  if (r.knownHostsLine) lines.push(`known_hosts: ${r.knownHostsLine}`);
  if (r.bootId) lines.push(`boot id: ${r.bootId}`);
  for (const warning of r.warnings) lines.push(`warning: ${warning}`);
  return `${lines.join("\n")}\n`;
}

/** The real command: process streams, SIGINT/SIGTERM, exit code. */
export function main(): void {
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { version } = require("../../../package.json") as { version: string };
  run(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    signal: controller.signal,
    prepared: () => {
      process.once("SIGINT", interrupt);
      process.once("SIGTERM", interrupt);
    },
    version,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `ssh-ready: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`,
      );
      process.exitCode = 70;
    },
  );
}
