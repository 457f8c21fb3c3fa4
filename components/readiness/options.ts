// The one options object of `waitForSsh`, its defaults, and nothing that needs ssh2: these are public types.
// Their validation is in resolve.ts.
import type { AzureConsoleAccess } from "./console-azure";
import type { LookupFunction } from "node:net";
import type { AttemptEvent, CommandStartEvent } from "./events";
import type { ScheduleInput } from "./schedule";
import { parseLimit } from "./duration";
import { optionSpec } from "./spec";

/** How ready is ready, from weakest to strongest. */
export type Level = "tcp" | "banner" | "auth" | "command";

export const LEVELS: readonly Level[] = ["tcp", "banner", "auth", "command"];

/** One SSH bastion that the target is reached through (ssh's `-J`). */
export interface JumpHostOptions {
  /** Jump host name or IP address. Required. */
  host: string;
  /** Jump host's SSH port. Defaults to 22. */
  port?: number;
  /** User on the jump host. Required. */
  username: string;
  /** Private key for the jump host (OpenSSH or PEM). Defaults to the target's `privateKey`. */
  privateKey?: string | Buffer;
  /** Passphrase of the jump host's `privateKey`. Defaults to the target's `passphrase` when the key is shared. */
  passphrase?: string;
  /** Pin for the jump host's key, as `hostKeyPin`. Defaults to none: its key is reported, not verified. */
  hostKeyPin?: string | string[];
}

export interface WaitForSshOptions {
  /** Host name or IP address of the SSH server. Required. */
  host: string;
  /** SSH port. Defaults to 22. */
  port?: number;
  /** User to log in as. Required for levels `auth` and `command`. */
  username?: string;
  /** Private key text, OpenSSH or PEM (RSA ≥ 2048 bits, ECDSA, Ed25519). Required for `auth` and `command`. */
  privateKey?: string | Buffer;
  /** Passphrase of an encrypted `privateKey`. Defaults to none. */
  passphrase?: string;
  /**
   * What "ready" means: `tcp` (the port accepts), `banner` (sshd sent `SSH-2.0-…`), `auth` (the key is accepted
   * and a session ran `true`), `command` (the readiness `command` exited 0). Defaults to `auth` when a
   * `privateKey` is given, else `banner`.
   */
  level?: Level;
  /**
   * Shell command run at level `command`; ready when it exits 0. Defaults to waiting for cloud-init
   * (`cloud-init status --wait`: exit 0 is ready, 2 is ready with a warning, a host without cloud-init is ready).
   */
  command?: string;
  /**
   * Ready only on a boot other than this one: a Linux boot id (`/proc/sys/kernel/random/boot_id`, as `bootId`
   * reports it), taken before a reboot. An attempt that reaches this boot is "still the previous boot" and the
   * wait goes on; the readiness command runs only on another boot (so `cloud-init status --wait` waits for the
   * new boot's start-up). Makes `command` the default level (with a key); a lower level is refused. Empty or
   * undefined: any boot.
   */
  afterBoot?: string;
  /**
   * Host key pin: one or more `SHA256:…` fingerprints or OpenSSH public key lines. A server presenting any other
   * key fails the wait at once, before authentication. Needs level `auth` or `command`. Defaults to no pin: the
   * key of the successful attempt is reported, and a key change during the wait becomes a warning.
   *
   * `"console"`: the host keys cloud-init printed on the VM's serial console in the current boot (between its
   * `-----BEGIN SSH HOST KEY KEYS-----` and `-----END SSH HOST KEY KEYS-----` lines), read from `serialLog` before
   * each attempt. Until the console shows them, no attempt connects; a key that is not among them is a mismatch.
   */
  hostKeyPin?: string | string[];
  /**
   * The VM's serial console log, a file on this machine (a local VM's, or one saved from Azure's boot
   * diagnostics). When the wait gives up, its error carries the current boot's lines that matter (cloud-init's
   * errors and last line, sshd's, systemd's and the kernel's failures), screened for secrets; with
   * `hostKeyPin: "console"`, the host keys are read there.
   */
  serialLog?: string;
  /**
   * An Azure VM's resource ID: its console is read from its boot diagnostics (`retrieveBootDiagnosticsData`, then
   * the serial log blob), as `serialLog` reads a file. Needs the optional `@azure/identity` (or `azure.credential`)
   * and the permission `Microsoft.Compute/virtualMachines/retrieveBootDiagnosticsData/action` on the VM.
   */
  azureVmId?: string;
  /** How the console is fetched from Azure (`azureVmId`): the credential and the endpoint. */
  azure?: AzureConsoleAccess;
  /** Reach the target through this SSH bastion. Defaults to a direct connection. */
  jumpHost?: JumpHostOptions;
  /** Overall deadline: seconds, or a duration string ("10m", "90s", "500ms"). Defaults to 10 minutes. */
  timeout?: number | string;
  /**
   * Limit of each phase of an attempt (TCP connect, banner, key exchange + authentication): seconds or a
   * duration string. Defaults to 15 seconds.
   */
  attemptTimeout?: number | string;
  /** Limit of one run of the readiness command: seconds or a duration string. Defaults to 5 minutes. */
  commandTimeout?: number | string;
  /** Aborts the wait: sleeps end and open connections close at once; the wait rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after every attempt, with its outcome. Never receives secrets. */
  onAttempt?: (event: AttemptEvent) => void;
  /** Called when the readiness command starts on the server, which may then take minutes. */
  onCommandStart?: (event: CommandStartEvent) => void;
  /**
   * Retry pacing: `fastInterval` (200 ms while refused), `politeInterval` (1 s) growing to `maxInterval` (10 s)
   * once sshd answers, as durations; `steadyAttempts`, `backoffFactor`, `jitter`.
   */
  schedule?: ScheduleInput;
  /** Name resolution, as `net.connect`'s `lookup`. Defaults to the system resolver (`dns.lookup`). */
  lookup?: LookupFunction;
}

/** What the default command prints when cloud-init is installed but has not started on this boot (yet). */
export const NOT_STARTED_MARKER = "ssh-ready: cloud-init has not started on this boot";
/** What it prints when there is evidence cloud-init will not run on this boot at all. */
export const DID_NOT_RUN_MARKER = "ssh-ready: cloud-init did not run on this boot";
/** Its exit status then: a verdict, not a retry. */
export const DID_NOT_RUN_EXIT = 3;
/** cloud-init's own words for "installed, not started": "not run" (older releases, 22.4 in Debian 12), "not started" (newer). */
const NOT_STARTED = `*"not run"*|*"not started"*`;

/**
 * The default readiness command: wait for cloud-init to finish this boot's work.
 * - No cloud-init: ready at once (a marker line says so).
 * - Started (its /run/cloud-init/status.json exists: running, done, error, degraded): `cloud-init status --wait`,
 *   whose exit is judged (0 done, 2 done with recoverable errors, 1 failed).
 * - Disabled (a marker file, the kernel command line, or its systemd generator found no datasource): what
 *   `cloud-init status --long` says, exit 0; cloud-init's own `--wait` returns at once then too.
 * - Not started: `cloud-init status --wait` would wait forever when it never starts, so the command waits for it
 *   to start, a dot a second, and stops with a verdict only on evidence: systemd finished starting the system
 *   (`systemctl is-system-running`: running, degraded or maintenance) and cloud-init still says it has not
 *   started. Early in a boot and after a reboot (`/run` starts empty) it is only "not started yet", and it waits.
 *   Without systemd there is no such evidence, and it waits until the deadline, whose message says so.
 * `exec`: cloud-init itself is the session's process, so the signal that ends a timed-out wait reaches it.
 */
export const CLOUD_INIT_COMMAND = [
  'if ! command -v cloud-init >/dev/null 2>&1; then echo "ssh-ready: no cloud-init on this host"; exit 0; fi',
  "if [ ! -e /run/cloud-init/status.json ]; then",
  '  case "$(cloud-init status 2>/dev/null)" in',
  `  ${NOT_STARTED})`,
  `    printf '%s' "${NOT_STARTED_MARKER}"`,
  "    while [ ! -e /run/cloud-init/status.json ]; do",
  '      if [ -d /run/systemd/system ]; then case "$(systemctl is-system-running 2>/dev/null)" in running|degraded|maintenance)',
  '        case "$(cloud-init status 2>/dev/null)" in',
  `        ${NOT_STARTED}) echo; echo "${DID_NOT_RUN_MARKER}: systemd finished starting the system without it"; exit ${DID_NOT_RUN_EXIT};;`,
  "        *) break;;",
  "        esac;;",
  "      esac; fi",
  "      printf .; sleep 1",
  "    done",
  "    echo;;",
  "  *disabled*) exec cloud-init status --long;;",
  "  esac",
  "fi",
  "exec cloud-init status --wait",
].join("\n");
export const NO_CLOUD_INIT_MARKER = "ssh-ready: no cloud-init on this host";

// The defaults, from the one list of options (spec.ts).
export const DEFAULT_TIMEOUT_MS = parseLimit(optionSpec("timeout").default, "timeout");
export const DEFAULT_ATTEMPT_TIMEOUT_MS = parseLimit(
  optionSpec("attemptTimeout").default,
  "attemptTimeout",
);
export const DEFAULT_COMMAND_TIMEOUT_MS = parseLimit(
  optionSpec("commandTimeout").default,
  "commandTimeout",
);
export const DEFAULT_PORT = optionSpec("port").default as number;

/** The level when none is given: `auth` with a key (it can log in), `command` with `afterBoot` too, else `banner`. */
export function defaultLevel(hasKey: boolean, afterBoot?: unknown): Level {
  // afterBoot is checked where the readiness command runs: with a key, it makes that the default level.
  if (hasKey && typeof afterBoot === "string" && afterBoot !== "") return "command";
  return hasKey ? "auth" : "banner";
}
