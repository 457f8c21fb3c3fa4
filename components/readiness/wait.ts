// waitForSsh: the engine's one entry point. Checks every option before any traffic, then runs the wait loop
// (loop.ts) with the system clock and the real attempt.
import { InvalidOptionError } from "./errors";
import { systemClock } from "./clock";
import type { SshReadyResult } from "./events";
import type { WaitForSshOptions } from "./options";
import { decryptKeys, resolveOptions } from "./resolve";
import { runAttempt } from "./attempt";
import { runWait } from "./loop";
import { serialLogReader } from "./console-log";
import { azureConsoleReader } from "./console-azure";

/**
 * Waits until the SSH server at `options.host` is ready at `options.level`. Resolves with the server's banner,
 * verified host key and timing; rejects with an `SshNotReadyError` (or `HostKeyMismatchError`) when it is not
 * ready in time or cannot become ready, with a TypeError/RangeError naming the option for bad input (before any
 * network traffic), or with the signal's reason when aborted.
 */
export async function waitForSsh(options: WaitForSshOptions): Promise<SshReadyResult> {
  await decryptKeys(options);
  const opts = resolveOptions(options);
  checkHooks(options);
  return runWait(opts, {
    clock: systemClock,
    signal: options.signal,
    onAttempt: options.onAttempt,
    onCommandStart: options.onCommandStart,
    attempt: runAttempt,
    readConsole:
      opts.serialLog !== undefined
        ? serialLogReader(opts.serialLog)
        : opts.azureVmId !== undefined
          ? azureConsoleReader(opts.azureVmId, options.azure ?? {})
          : undefined,
  });
}

/** The options that are code, checked like the others: a TypeError naming the option, before any traffic. */
function checkHooks(options: WaitForSshOptions): void {
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new InvalidOptionError("signal", "must be an AbortSignal (an AbortController's signal)");
  }
  for (const name of ["onAttempt", "onCommandStart"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function") {
      throw new InvalidOptionError(name, `must be a function`);
    }
  }
}
