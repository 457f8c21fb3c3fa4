// Every readiness option, declared once: its name, type, unit, default, secrecy, what a change does to an
// SshReadiness, its ssh-ready flag and one line of doc. The engine's checks, the CLI's flags and help, the
// SshReadiness diff and secrets, VmWithReadySsh's readiness arguments and the plugin schema's readiness part are
// derived from this list (test/readiness/spec.test.ts holds each of them to it). No ssh2, no Pulumi: data only.

/** How a value is written and checked. */
export type OptionType =
  /** A host name or IP address. */
  | "host"
  /** An integer from 1 to 65535. */
  | "port"
  /** A user name. */
  | "user"
  /** Private key text, OpenSSH or PEM. */
  | "key"
  /** A key's passphrase. */
  | "passphrase"
  /** One of LEVELS. */
  | "level"
  /** A non-empty shell command. */
  | "command"
  /** A Linux boot id (`/proc/sys/kernel/random/boot_id`); empty for none. */
  | "bootId"
  /** One or more `SHA256:…` fingerprints or OpenSSH public key lines. */
  | "pins"
  /** The target's pins: as `pins`, or the word `"console"` (the keys on the VM's console; a jump host has none). */
  | "targetPins"
  /** Seconds (a bare number) or a duration string ("90s", "10m"). */
  | "duration"
  /** A file's path on the machine that waits. */
  | "path"
  /** An Azure VM's resource ID. */
  | "vmId"
  /** The jump host's own options (`jumpHost.*` below). */
  | "jumpHost";

/** How ssh-ready takes an option. */
export type CliForm =
  /** A flag: `--long` (and `-short`), with a value named `value` unless a switch. */
  | {
      flag: string;
      short?: string;
      value: string;
      multiple?: boolean;
      help: string;
      default?: string;
    }
  /** The positional argument `[user@]host`. */
  | { positional: string }
  /** An environment variable. */
  | { env: string }
  /** Part of another flag's value (`-J [USER@]HOST[:PORT]`). */
  | { partOf: string };

/** A flag of ssh-ready. */
export type FlagForm = Extract<CliForm, { flag: string }>;

export interface OptionSpec {
  /** The option's name in `waitForSsh`, SshReadiness's inputs and VmWithReadySsh's `readiness`; a path for parts. */
  name: string;
  type: OptionType;
  /** What a bare number means: durations are seconds, on every surface. */
  unit?: "seconds";
  /** The default, as written (`22`, `"10m"`); undefined when there is none or it depends on other options. */
  default?: string | number;
  /** The default in words, as docs and help say it. */
  defaultText: string;
  /**
   * Stored as a secret by SshReadiness whatever the program says, and never printed. (The jump host is secret as
   * a whole: its address and user too, inside it.)
   */
  secret: boolean;
  /** A change of a created SshReadiness: `replace` waits again, `update` only changes how a later wait runs. */
  change: "replace" | "update";
  /**
   * The field SshReadiness records it in, where that is not its name: a key by its fingerprint; `false` when
   * it is compared through another (a passphrase through the key it decrypts).
   */
  recordedAs?: string | false;
  cli: CliForm;
  /** An argument of VmWithReadySsh's `readiness`, with the component's own default where it differs. */
  component?: { default?: string | number; defaultText?: string };
  /** One line of doc. */
  doc: string;
}

const durationDoc = "seconds (a bare number) or a duration string";

/** The options of `waitForSsh` that every surface shares, in the order docs list them. */
export const OPTION_SPECS: readonly OptionSpec[] = [
  {
    name: "host",
    type: "host",
    defaultText: "required",
    secret: false,
    change: "replace",
    cli: { positional: "[user@]host" },
    doc: "Host name or IP address of the SSH server.",
  },
  {
    name: "port",
    type: "port",
    default: 22,
    defaultText: "22",
    secret: false,
    change: "replace",
    cli: { flag: "port", short: "p", value: "PORT", help: "SSH port" },
    doc: "SSH port.",
  },
  {
    name: "username",
    type: "user",
    defaultText: "none (required for levels `auth` and `command`)",
    secret: false,
    change: "replace",
    cli: {
      flag: "login",
      short: "l",
      value: "USER",
      help: "user to log in as (or write user@host)",
      default: "the current user, as ssh does",
    },
    doc: "User to log in as.",
  },
  {
    name: "privateKey",
    type: "key",
    defaultText: "none (required for levels `auth` and `command`)",
    secret: true,
    change: "replace",
    recordedAs: "keyFingerprint",
    cli: {
      flag: "identity",
      short: "i",
      value: "FILE",
      help: "private key file (OpenSSH or PEM); a passphrase is read from the SSH_READY_PASSPHRASE variable",
    },
    doc: "Private key text, OpenSSH or PEM (Ed25519, ECDSA, RSA ≥ 2048 bits).",
  },
  {
    name: "passphrase",
    type: "passphrase",
    defaultText: "none",
    secret: true,
    change: "replace",
    recordedAs: false,
    cli: { env: "SSH_READY_PASSPHRASE" },
    doc: "Passphrase of an encrypted `privateKey`.",
  },
  {
    name: "level",
    type: "level",
    defaultText: "`auth` with a private key, else `banner`",
    secret: false,
    change: "replace",
    cli: { flag: "level", value: "LEVEL", help: "tcp, banner, auth or command (see above)" },
    component: { default: "command", defaultText: "`command`" },
    doc: "What ready means: `tcp`, `banner`, `auth` or `command`.",
  },
  {
    name: "command",
    type: "command",
    defaultText: "wait for cloud-init (`cloud-init status --wait`)",
    secret: false,
    change: "replace",
    cli: { flag: "command", value: "CMD", help: "readiness command for --level command" },
    component: {},
    doc: "Shell command run at level `command`; ready when it exits 0.",
  },
  {
    name: "afterBoot",
    type: "bootId",
    defaultText: "none: any boot",
    secret: false,
    change: "replace",
    cli: {
      flag: "after-boot",
      value: "ID",
      help: "ready only on a boot other than this one (a boot id, as --json's bootId gives it); implies --level command",
    },
    doc: "Ready only on a boot other than this one: a boot id, as `bootId` reports it (empty: any boot). Makes `command` the default level; a lower level is refused.",
  },
  {
    name: "hostKeyPin",
    type: "targetPins",
    defaultText: "none: the key presented is reported",
    secret: false,
    change: "replace",
    cli: {
      flag: "host-key-pin",
      value: "KEY",
      multiple: true,
      help: "accept only this host key: a SHA256:... fingerprint or an OpenSSH public key line; repeatable. The word console: the host keys cloud-init printed on the VM's console in this boot (needs --serial-log or --azure-vm-id)",
    },
    doc: 'The host keys to accept; any other fails the wait at once, before authentication. `"console"`: the keys cloud-init printed on the console in the current boot (needs `serialLog` or `azureVmId`).',
  },
  {
    name: "serialLog",
    type: "path",
    defaultText: "none",
    secret: false,
    change: "update",
    cli: {
      flag: "serial-log",
      value: "FILE",
      help: "the VM's serial console log: a wait that gives up shows its lines that matter (and with --host-key-pin console, the host keys are read there)",
    },
    doc: "The VM's serial console log, a file: a wait that gives up carries the current boot's lines that matter; with `hostKeyPin: \"console\"`, the host keys are read there.",
  },
  {
    name: "azureVmId",
    type: "vmId",
    defaultText: "none",
    secret: false,
    change: "update",
    cli: {
      flag: "azure-vm-id",
      value: "ID",
      help: "the Azure VM's resource ID: its serial console log is read from its boot diagnostics, as with --serial-log (needs the optional @azure/identity and an Azure login)",
    },
    doc: "An Azure VM's resource ID: its console is read from its boot diagnostics, as `serialLog` reads a file (needs the optional `@azure/identity` and an Azure login).",
  },
  {
    name: "jumpHost",
    type: "jumpHost",
    defaultText: "none: a direct connection",
    secret: true,
    change: "replace",
    cli: {
      flag: "jump",
      short: "J",
      value: "[USER@]HOST[:PORT]",
      help: "reach host through this SSH jump host (an IPv6 address with a port in brackets: [::1]:22)",
    },
    component: {},
    doc: "Reach the target through this SSH bastion (ssh's `-J`).",
  },
  {
    name: "jumpHost.host",
    type: "host",
    defaultText: "required",
    secret: false,
    change: "replace",
    cli: { partOf: "jump" },
    doc: "Jump host name or IP address.",
  },
  {
    name: "jumpHost.port",
    type: "port",
    default: 22,
    defaultText: "22",
    secret: false,
    change: "replace",
    cli: { partOf: "jump" },
    doc: "Jump host's SSH port.",
  },
  {
    name: "jumpHost.username",
    type: "user",
    defaultText: "required",
    secret: false,
    change: "replace",
    cli: { partOf: "jump" },
    doc: "User on the jump host.",
  },
  {
    name: "jumpHost.privateKey",
    type: "key",
    defaultText: "the target's `privateKey`",
    secret: true,
    change: "replace",
    cli: {
      flag: "jump-identity",
      value: "FILE",
      help: "key for the jump host",
      default: "the -i key",
    },
    doc: "Private key for the jump host.",
  },
  {
    name: "jumpHost.passphrase",
    type: "passphrase",
    defaultText: "the target's `passphrase` when the key is shared",
    secret: true,
    change: "replace",
    cli: { env: "SSH_READY_PASSPHRASE" },
    doc: "Passphrase of the jump host's `privateKey`.",
  },
  {
    name: "jumpHost.hostKeyPin",
    type: "pins",
    defaultText: "none: its key is reported, not verified",
    secret: false,
    change: "replace",
    cli: {
      flag: "jump-host-key-pin",
      value: "KEY",
      multiple: true,
      help: "accept only this jump host key; repeatable",
    },
    doc: "The jump host keys to accept, as `hostKeyPin`.",
  },
  {
    name: "timeout",
    type: "duration",
    unit: "seconds",
    default: "10m",
    defaultText: "10 minutes",
    secret: false,
    change: "update",
    cli: { flag: "timeout", value: "DUR", help: "give up after DUR" },
    component: { default: "15m", defaultText: "15 minutes" },
    doc: `Overall deadline: ${durationDoc}.`,
  },
  {
    name: "attemptTimeout",
    type: "duration",
    unit: "seconds",
    default: "15s",
    defaultText: "15 seconds",
    secret: false,
    change: "update",
    cli: {
      flag: "attempt-timeout",
      value: "DUR",
      help: "limit of each connect, banner and login",
    },
    component: {},
    doc: `Limit of each phase of an attempt (connect, banner, key exchange + login): ${durationDoc}.`,
  },
  {
    name: "commandTimeout",
    type: "duration",
    unit: "seconds",
    default: "5m",
    defaultText: "5 minutes",
    secret: false,
    change: "update",
    cli: { flag: "command-timeout", value: "DUR", help: "limit of one run of the command" },
    component: {},
    doc: `Limit of one run of the readiness command: ${durationDoc}.`,
  },
];

/** The options by name. */
export const OPTIONS_BY_NAME: ReadonlyMap<string, OptionSpec> = new Map(
  OPTION_SPECS.map((spec) => [spec.name, spec]),
);

/** The top-level options (no `jumpHost.` parts). */
export const TOP_LEVEL_OPTIONS: readonly OptionSpec[] = OPTION_SPECS.filter(
  (spec) => !spec.name.includes("."),
);

/** The jump host's options, by their own names (`host`, not `jumpHost.host`). */
export const JUMP_HOST_OPTIONS: readonly OptionSpec[] = OPTION_SPECS.filter((spec) =>
  spec.name.startsWith("jumpHost."),
).map((spec) => ({ ...spec, name: spec.name.slice("jumpHost.".length) }));

/** VmWithReadySsh's `readiness` arguments, with the component's defaults. */
export const COMPONENT_READINESS_OPTIONS: readonly OptionSpec[] = TOP_LEVEL_OPTIONS.filter(
  (spec) => spec.component,
).map((spec) => ({
  ...spec,
  default: spec.component!.default ?? spec.default,
  defaultText: spec.component!.defaultText ?? spec.defaultText,
}));

/** The spec of `name`; throws for a name that is not one (a mistake in our code). */
export function optionSpec(name: string): OptionSpec {
  const spec = OPTIONS_BY_NAME.get(name);
  if (!spec) throw new Error(`no readiness option is named ${name}`);
  return spec;
}

/** The flag an option is given with on ssh-ready's command line: its own, or the one it is part of (`-J`). */
export function flagOf(spec: OptionSpec): FlagForm | undefined {
  const { cli } = spec;
  if ("flag" in cli) return cli;
  if (!("partOf" in cli)) return undefined;
  const owner = OPTION_SPECS.find((other) => "flag" in other.cli && other.cli.flag === cli.partOf);
  return owner?.cli as FlagForm | undefined;
}
