// ssh-ready's command line: ssh's own flag letters, durations like "90s", and a one-line error naming the
// flag for every bad input. Produces the engine's options; reads key files, but opens no connection.
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import type { Level, WaitForSshOptions } from "../readiness";
import { parseLimit } from "../readiness/duration";
import { InvalidOptionError } from "../readiness/errors";
import { MAX_KEY_BYTES } from "../readiness/keys";
import { shown } from "../readiness/printable";
import { flagOf, OPTION_SPECS, type FlagForm, type OptionSpec } from "../readiness/spec";

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface CliRequest {
  help: boolean;
  version: boolean;
  json: boolean;
  quiet: boolean;
  options: WaitForSshOptions;
}

/** Where each engine option came from on the command line, to name the flag in the engine's messages. */
export type FlagNames = Record<string, string>;

/**
 * Reads a key file: a regular file of at most MAX_KEY_BYTES, so a FIFO cannot hang the command and a device
 * such as /dev/zero cannot fill its memory.
 */
function readKeyFile(file: string, flag: string): string {
  let fd: number | undefined;
  try {
    // Opened without blocking (a FIFO with no writer would block the open itself), then checked.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      throw new UsageError(
        `${flag} ${shown(file)}: not a regular file (a private key is a small file)`,
      );
    }
    if (stats.size > MAX_KEY_BYTES) {
      throw new UsageError(
        `${flag} ${shown(file)}: ${stats.size.toLocaleString("en-US")} bytes is not a private key (a key is a few KB; at most ${MAX_KEY_BYTES / 1024} KiB accepted)`,
      );
    }
    const buffer = Buffer.alloc(MAX_KEY_BYTES + 1);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, length).toString("utf8");
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new UsageError(`${flag} ${shown(file)}: cannot read the key file (${code})`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A duration flag, checked here to name the flag; the engine takes the text as written (bare = seconds). */
function duration(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    parseLimit(value, flag);
    return value;
  } catch (error) {
    if (error instanceof InvalidOptionError) throw new UsageError(`${flag} ${error.reason}`);
    throw error;
  }
}

function splitUserHost(text: string, flag: string): { user?: string; host: string; port?: number } {
  const at = text.lastIndexOf("@");
  const user = at >= 0 ? text.slice(0, at) : undefined;
  let host = at >= 0 ? text.slice(at + 1) : text;
  let port: number | undefined;
  const bracketed = /^\[(.+)\](?::(.*))?$/.exec(host);
  // One colon: HOST:PORT. More: an IPv6 address, whose port must then be given in brackets ([::1]:22).
  const hostPort = /^([^:]+):([^:]*)$/.exec(host);
  if (bracketed) {
    host = bracketed[1];
    if (bracketed[2] !== undefined) port = parsePort(bracketed[2], flag);
  } else if (hostPort) {
    host = hostPort[1];
    port = parsePort(hostPort[2], flag);
  }
  if (user === "") throw new UsageError(`${flag}: the user before "@" is empty`);
  return { user, host, port };
}

function parsePort(text: string, flag: string): number {
  if (!/^\d+$/.test(text))
    throw new UsageError(`${flag}: port must be a number from 1 to 65535, got "${shown(text)}"`);
  const port = Number(text);
  if (port < 1 || port > 65535)
    throw new UsageError(`${flag}: port must be from 1 to 65535, got ${port}`);
  return port;
}

const flagged = (spec: OptionSpec): spec is OptionSpec & { cli: FlagForm } => "flag" in spec.cli;

/** The readiness options that are flags, from the spec, in its order. */
const OPTION_FLAGS = OPTION_SPECS.filter(flagged);

/** ssh-ready's own switches, which are not readiness options. */
const SWITCHES = [
  { flag: "json", help: "print the result (or the error) as JSON on stdout" },
  { flag: "quiet", short: "q", help: "no progress lines on stderr" },
  { flag: "help", short: "h", help: "show this help" },
  { flag: "version", short: "V", help: "show the version" },
] as const;

type ParseArgsOptions = Record<
  string,
  { type: "string" | "boolean"; short?: string; multiple?: boolean }
>;

const OPTIONS: ParseArgsOptions = Object.fromEntries([
  ...OPTION_FLAGS.map(({ cli }) => [
    cli.flag,
    {
      type: "string",
      ...(cli.short ? { short: cli.short } : {}),
      ...(cli.multiple ? { multiple: true } : {}),
    },
  ]),
  ...SWITCHES.map((s) => [
    s.flag,
    { type: "boolean", ...("short" in s ? { short: s.short } : {}) },
  ]),
]) as ParseArgsOptions;

/** The durations' defaults as written ("10m"), others in the spec's words; the CLI's own where it has one. */
function helpDefault(spec: OptionSpec & { cli: FlagForm }): string | undefined {
  if (spec.cli.default) return spec.cli.default;
  if (spec.default !== undefined) return String(spec.default);
  return undefined;
}

/** The "Options:" lines of the help: each flag, its value, its help and default, wrapped at 80 columns. */
function optionHelp(): string {
  const rows = [
    ...OPTION_FLAGS.map((spec) => {
      const { cli } = spec;
      const shown = helpDefault(spec);
      return {
        left: `${cli.short ? `-${cli.short}, ` : "    "}--${cli.flag} ${cli.value}`,
        text: shown ? `${cli.help} (default${shown.includes(" ") ? ":" : ""} ${shown})` : cli.help,
      };
    }),
    ...SWITCHES.map((s) => ({
      left: `${"short" in s ? `-${s.short}, ` : "    "}--${s.flag}`,
      text: s.help,
    })),
  ];
  const column = 28;
  return rows
    .map(({ left, text }) => {
      const lines: string[] = [];
      let line = `  ${left}`;
      if (line.length >= column) {
        lines.push(line);
        line = "";
      }
      line = line.padEnd(column);
      for (const word of text.split(" ")) {
        if (line.trim() !== "" && line.length + word.length + 1 > 80 && line.length > column) {
          lines.push(line.trimEnd());
          line = " ".repeat(column);
        }
        line += line.length > column ? ` ${word}` : word;
      }
      lines.push(line.trimEnd());
      return lines.join("\n");
    })
    .join("\n");
}

/**
 * `--timeout -5s` as `--timeout=-5s`: a value that starts with a dash would otherwise be taken for a flag, and the
 * user would get a different message for the same mistake. Only values that look like a number are joined.
 */
function joinDashValues(argv: string[]): string[] {
  const takesValue = new Map<string, string>();
  for (const [name, option] of Object.entries(OPTIONS)) {
    if (option.type !== "string") continue;
    takesValue.set(`--${name}`, name);
    if ("short" in option) takesValue.set(`-${option.short}`, name);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = takesValue.get(argv[i]);
    if (name !== undefined && /^-\d/.test(argv[i + 1] ?? "")) {
      out.push(`--${name}=${argv[++i]}`);
    } else out.push(argv[i]);
  }
  return out;
}

export const HELP = `Usage: ssh-ready [user@]host [options]
       ssh-ready -h | --help
       ssh-ready -V | --version

Waits until the SSH server on host really answers, then exits 0. Each attempt is
classified (connection refused, no answer, key not accepted, ...) and shown on
stderr; the result goes to stdout. Attempts are fast (every ~200 ms) while the
port refuses, and polite (one connection at a time, 1 s growing to 10 s) once
sshd answers, so MaxStartups and fail2ban stay quiet.

Levels (--level), weakest first:
  tcp       the port accepts a TCP connection
  banner    the server sends an SSH banner (default without -i)
  auth      the key is accepted and a session runs \`true\` (default with -i)
  command   a readiness command exits 0; by default \`cloud-init status --wait\`
            (exit 2, recoverable errors, is ready with a warning; a host
            without cloud-init is ready)

Options:
${optionHelp()}

Durations: 90s, 10m, 1m30s, 500ms, 2d, or a number of seconds up to 3600.

Exit codes: 0 ready; 1 not ready by the deadline (or cloud-init failed);
2 bad usage or input; 3 host key mismatch; 130 interrupted.

Examples:
  ssh-ready 20.1.2.3 -l azureuser -i ~/.ssh/id_ed25519 --level command
  ssh-ready 10.0.0.5 -l azureuser -i key -J azureuser@bastion.example.com
  ssh-ready 20.1.2.3 -l azureuser -i key --host-key-pin "SHA256:..." --timeout 15m
`;

/** Flags of 0.1.0 under their new names: `hostKey` now always means the key a server presents. */
const RENAMED_FLAGS: Record<string, string> = {
  "--host-key": "--host-key-pin",
  "--jump-host-key": "--jump-host-key-pin",
};

/** Parses argv (without node and script). Throws UsageError for bad usage. */
export function parseCommandLine(
  argv: string[],
  env: NodeJS.ProcessEnv,
  currentUser: () => string = () => userInfo().username,
): { request: CliRequest; flags: FlagNames } {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinDashValues(argv),
      allowPositionals: true,
      strict: true,
      options: OPTIONS,
    });
  } catch (error) {
    const { code, message } = error as Error & { code?: string };
    const option = /'([^']+)'/.exec(message)?.[1];
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) {
      const renamed = RENAMED_FLAGS[option.split("=")[0]];
      throw new UsageError(
        renamed
          ? `${option.split("=")[0]} is now ${renamed} (renamed in 0.2.0)`
          : `unknown option ${shown(option)}`,
      );
    }
    // node's messages quote what was typed: screened like every value we echo.
    throw new UsageError(
      message.split("\n")[0].replace(/'([^']*)'/g, (_whole, typed: string) => `'${shown(typed)}'`),
    );
  }
  const { positionals } = parsed;
  const v = parsed.values as Record<string, string | string[] | boolean | undefined>;
  const str = (flag: string) => v[flag] as string | undefined;
  const list = (flag: string) => v[flag] as string[] | undefined;
  const base = { help: !!v.help, version: !!v.version, json: !!v.json, quiet: !!v.quiet };
  if (v.help || v.version) return { request: { ...base, options: { host: "" } }, flags: {} };
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? "missing the host to wait for"
        : `one host only, got: ${positionals.map((p) => shown(p)).join(" ")}`,
    );
  }
  const target = splitUserHost(positionals[0], "host");
  if (target.port !== undefined)
    throw new UsageError(`host: give the port with -p, not in "${shown(positionals[0])}"`);
  const login = str("login");
  if (target.user !== undefined && login !== undefined && target.user !== login) {
    throw new UsageError(`user given twice: "${shown(target.user)}@" and -l ${shown(login)}`);
  }
  const [identity, jumpIdentity, level] = [str("identity"), str("jump-identity"), str("level")];
  const flags = flagNames({ privateKey: identity, "jumpHost.privateKey": jumpIdentity });
  const passphrase = env.SSH_READY_PASSPHRASE === "" ? undefined : env.SSH_READY_PASSPHRASE;
  const port = str("port");
  const options: WaitForSshOptions = {
    host: target.host,
    port: port === undefined ? undefined : parsePort(port, "-p"),
    // As ssh: no -l and no user@ means the current user, for a login (a key given, or a login level).
    username:
      login ??
      target.user ??
      (identity !== undefined || level === "auth" || level === "command"
        ? currentUser()
        : undefined),
    privateKey: identity === undefined ? undefined : readKeyFile(identity, "-i"),
    passphrase: identity === undefined ? undefined : passphrase,
    level: level as Level | undefined,
    command: str("command"),
    afterBoot: str("after-boot"),
    hostKeyPin: list("host-key-pin"),
    serialLog: str("serial-log"),
    azureVmId: str("azure-vm-id"),
    timeout: duration(str("timeout"), "--timeout"),
    attemptTimeout: duration(str("attempt-timeout"), "--attempt-timeout"),
    commandTimeout: duration(str("command-timeout"), "--command-timeout"),
  };
  const jumpText = str("jump");
  if (jumpText !== undefined) {
    const jump = splitUserHost(jumpText, "-J");
    options.jumpHost = {
      host: jump.host,
      port: jump.port,
      username: jump.user ?? currentUser(),
      privateKey:
        jumpIdentity === undefined ? undefined : readKeyFile(jumpIdentity, "--jump-identity"),
      passphrase: jumpIdentity === undefined ? undefined : passphrase,
      hostKeyPin: list("jump-host-key-pin"),
    };
  } else if (jumpIdentity !== undefined || list("jump-host-key-pin") !== undefined) {
    throw new UsageError("--jump-identity and --jump-host-key-pin need -J [USER@]HOST");
  }
  return { request: { ...base, options }, flags };
}

/**
 * Where each engine option comes from on the command line, from the spec: its flag (`-p`, `--timeout`), the
 * positional `host`, the variable it is read from, or the flag it is part of (`-J`). A key is named with its
 * file, as typed.
 */
export function flagNames(keyFiles: Record<string, string | undefined> = {}): FlagNames {
  return Object.fromEntries(
    OPTION_SPECS.map((spec) => {
      const { cli } = spec;
      const flag = flagOf(spec);
      let name: string;
      if (flag) name = flag.short ? `-${flag.short}` : `--${flag.flag}`;
      else if ("positional" in cli) name = "host";
      else name = (cli as { env: string }).env;
      const file = keyFiles[spec.name];
      return [spec.name, file === undefined ? name : `${name} ${shown(file, 200)}`];
    }),
  );
}

/** Rewrites an engine message's "[option]" names into the flags the user typed. */
export function nameFlags(message: string, flags: FlagNames): string {
  return message.replace(/\[([\w.]+)\]/g, (whole, name: string) => flags[name] ?? whole);
}
