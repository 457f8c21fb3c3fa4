// The dynamic provider behind SshReadiness: a stateless object whose create blocks until sshd really answers.
// Pulumi serializes it into the resource's `__provider` and runs it in a separate process, so it captures
// nothing from the program (no config, secret, Resource or Output) and delegates to the engine.
import { randomUUID } from "node:crypto";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { formatDuration } from "../readiness/duration";
import { endpoint } from "../readiness/host-key";
import { checkHost, decryptKeys } from "../readiness/resolve";
import { printable, printableLines, redactor } from "../readiness/printable";
import { ProgressPrinter } from "../readiness/progress";
import { waitForSsh } from "../readiness/wait";
import type { SshReadyResult } from "../readiness/events";
import { codeChanged } from "../provider-code";
import { diffReadiness } from "./diff";
import {
  ALWAYS_SECRET,
  checkAndRecord,
  recordOf,
  toWaitOptions,
  withRecord,
  type ReadinessInputs,
  type RecordedInputs,
} from "./inputs";

/** What the wait found, as the engine reports it: the result fields kept in the outputs. */
const FINDINGS = [
  "bootId",
  "serverBanner",
  "hostKey",
  "hostKeyFingerprint",
  "knownHostsLine",
  "readyAt",
  "waitedMs",
  "attempts",
  "warnings",
] as const;
type WaitFindings = Pick<SshReadyResult, (typeof FINDINGS)[number]>;

/** The outputs: the inputs as recorded (no secrets) and what the wait found. */
export interface ReadinessOutputs extends RecordedInputs, WaitFindings {}

/** Lines reach `pulumi up` through the provider process's stdout (CLI ≥ 3.146); never a secret. */
const HEARTBEAT_MS = 30_000;

type Props = Record<string, unknown> | undefined;

/** The string values of the inputs at `paths` (`jumpHost.host`; a path to a list or object takes all inside). */
function valuesAt(inputs: ReadinessInputs, paths: Iterable<string>): string[] {
  const strings = (value: unknown): string[] => {
    if (typeof value === "string") return [value];
    if (Array.isArray(value)) return value.flatMap(strings);
    if (typeof value === "object" && value !== null) return Object.values(value).flatMap(strings);
    return [];
  };
  return [...paths].flatMap((path) =>
    strings(path.split(".").reduce<unknown>((at, key) => (at as Props)?.[key], inputs)),
  );
}

/** How a create runs beyond its inputs: the provider plugin's Cancel, and where its lines go. */
export interface CreateOptions {
  /** Ends the wait at once when aborted. Pulumi's dynamic-provider host has no way to pass one. */
  signal?: AbortSignal;
  /** Writes one progress line. Defaults to stdout, which `pulumi up` shows for a dynamic provider. */
  print?: (line: string) => void;
}

async function wait(
  inputs: ReadinessInputs,
  { signal, print = (line) => console.log(line) }: CreateOptions = {},
): Promise<SshReadyResult> {
  const options = toWaitOptions(inputs);
  // Checked before anything is printed: a key pasted into `host` must not reach the log.
  const host = checkHost(inputs.host, "host");
  const secret = new Set<string>([...ALWAYS_SECRET, ...(inputs.__secretInputs ?? [])]);
  // The last screen of every line and error: no value the program marked secret leaves this process.
  const redact = redactor(valuesAt(inputs, secret));
  const label = secret.has("label") ? "secret label" : (inputs.label ?? inputs.host);
  // Banners, warnings and command output come from the server: printed, never obeyed by the terminal.
  const say = (line: string) => print(redact(printable(`[${label}] ${line}`)));
  const progress = new ProgressPrinter(say, {
    repeatEveryMs: HEARTBEAT_MS,
    showCommand: !secret.has("command"),
  });
  const started = performance.now();
  const heartbeat = setInterval(() => progress.heartbeat(performance.now() - started), 5000);
  heartbeat.unref();
  say(`waiting for sshd on ${endpoint(host, inputs.port ?? 22)}`);
  try {
    const result = await waitForSsh({
      ...options,
      signal,
      onAttempt: (event) => progress.onAttempt(event),
      onCommandStart: (event) => progress.onCommandStart(event),
    });
    say(
      `ready at level ${result.level} after ${formatDuration(result.waitedMs)} (${result.attempts} attempt${result.attempts === 1 ? "" : "s"})` +
        (result.hostKeyFingerprint ? `, host key ${result.hostKeyFingerprint}` : ""),
    );
    for (const warning of result.warnings) say(`warning: ${warning}`);
    return result;
  } catch (error) {
    if (signal?.aborted && error === signal.reason) {
      const after = formatDuration(performance.now() - started);
      say(`stopped after ${after}: the deployment was cancelled`);
      throw new Error(`the wait for sshd was stopped after ${after}: the deployment was cancelled`);
    }
    // The engine's message is the actionable summary, with no secret; the secret inputs are masked in it. The
    // error keeps its class and fields (`code`, `option`): Pulumi shows the message, a direct caller may look.
    throw withMessage(error, redact(printableLines((error as Error).message)));
  } finally {
    clearInterval(heartbeat);
  }
}

function outputs(inputs: ReadinessInputs, result: SshReadyResult): ReadinessOutputs {
  const findings = Object.fromEntries(FINDINGS.map((key) => [key, result[key]])) as WaitFindings;
  return { ...recordOf(inputs), ...findings };
}

/** Struct cannot carry `undefined`: drop those keys. */
function defined<T extends object>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Create: waits until sshd is ready, or throws the engine's summary. */
export async function createReadiness(
  inputs: ReadinessInputs,
  options: CreateOptions = {},
): Promise<{ id: string; outs: ReadinessOutputs }> {
  const result = await wait(inputs, options);
  return { id: randomUUID(), outs: defined(outputs(inputs, result)) };
}

export const sshReadinessProvider: dynamic.ResourceProvider<ReadinessInputs, ReadinessOutputs> = {
  /** Same rules and messages as the engine and the CLI; unknown values (preview) are accepted. */
  async check(_olds, news) {
    // The keys decrypted off the event loop: the provider answers the engine's other calls meanwhile.
    await decryptKeys(news);
    const { failures, keys } = checkAndRecord(news);
    return { inputs: withRecord(news, keys && defined(keys)), failures };
  },

  /** Blocks until sshd is ready, or throws the engine's summary (per-class counts, last error, hints). */
  create: (inputs) => createReadiness(inputs),

  async diff(_id, olds, news) {
    const { changes, replaces } = diffReadiness(olds, news);
    // New provider code alone is an update: nothing is waited for again, and the state stores the new code.
    return { changes: changes || codeChanged(olds, news), replaces, deleteBeforeReplace: false };
  },

  /** Only the timeouts, the label or the provider code changed: nothing to wait for again; the outputs stay. */
  async update(_id, olds, news) {
    const { label, timeout, attemptTimeout, commandTimeout } = recordOf(news);
    return { outs: defined({ ...olds, label, timeout, attemptTimeout, commandTimeout }) };
  },

  /**
   * Refresh returns the recorded state and does not probe: image pipelines deallocate and generalize the VM
   * after use, and a refresh must not fail on that.
   */
  async read(id, props) {
    return { id, props };
  },

  /** Nothing to delete: the resource is a record of a wait. */
  async delete() {
    return;
  },
};

/**
 * `error`'s class, `name` and `code` or `option`, with `message`: nothing else is copied, since other fields (the
 * last error's text, a command's output) may hold a secret input that `message` has masked.
 */
function withMessage(error: unknown, message: string): Error {
  if (!(error instanceof Error)) return new Error(message);
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error &
    Record<string, unknown>;
  for (const field of ["name", "code", "option"]) {
    const value = (error as unknown as Record<string, unknown>)[field];
    if (typeof value === "string")
      Object.defineProperty(copy, field, { value, enumerable: field !== "name" });
  }
  Object.defineProperty(copy, "message", { value: message, writable: true, configurable: true });
  copy.stack = `${copy.name}: ${message}`;
  return copy;
}
