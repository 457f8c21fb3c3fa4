// SshReadiness: a Pulumi resource whose creation waits until sshd really answers (handshake, verified host
// key, key login, and by default cloud-init done). Depend on it, and "ready" is a node in the Pulumi graph.
import * as pulumi from "@pulumi/pulumi";
import type { Level } from "../readiness/options";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import * as providers from "../dynamic-providers";
import { renamed } from "../readiness/resolve";
import type { ReadinessInputs } from "./inputs";
import type { ReadinessOutputs } from "./provider";

/**
 * What the state keeps as this resource's provider: a forwarder to the stable entry point
 * (`vm-with-ready-ssh/dynamic-providers`), so a stack written by this version still refreshes and destroys
 * after the package's files move. Methods only: Pulumi serializes this object as code.
 */
const forwardingProvider: dynamic.ResourceProvider<ReadinessInputs, ReadinessOutputs> = {
  check: (olds, news) => providers.sshReadiness.check!(olds, news),
  diff: (id, olds, news) => providers.sshReadiness.diff!(id, olds, news),
  create: (inputs) => providers.sshReadiness.create(inputs),
  update: (id, olds, news) => providers.sshReadiness.update!(id, olds, news),
  read: (id, props) => providers.sshReadiness.read!(id, props),
  delete: (id, props) => providers.sshReadiness.delete!(id, props),
};

export interface SshReadinessJumpHost {
  /** Jump host name or IP address. */
  host: pulumi.Input<string>;
  /** Jump host's SSH port. Defaults to 22. */
  port?: pulumi.Input<number>;
  /** User on the jump host. */
  username: pulumi.Input<string>;
  /** Private key for the jump host (stored as a secret). Defaults to the target's `privateKey`. */
  privateKey?: pulumi.Input<string>;
  /** Passphrase of the jump host's key (stored as a secret). */
  passphrase?: pulumi.Input<string>;
  /** Pin for the jump host's key: `SHA256:…` fingerprints or OpenSSH public key lines. Defaults to none. */
  hostKeyPin?: pulumi.Input<string | string[]>;
}

export interface SshReadinessArgs {
  /** Host name or IP address of the SSH server. */
  host: pulumi.Input<string>;
  /** SSH port. Defaults to 22. */
  port?: pulumi.Input<number>;
  /** User to log in as. Required for levels `auth` and `command`. */
  username?: pulumi.Input<string>;
  /** Private key text, OpenSSH or PEM (Ed25519, ECDSA, RSA ≥ 2048 bits). Stored as a secret. */
  privateKey?: pulumi.Input<string>;
  /** Passphrase of an encrypted `privateKey`. Stored as a secret. */
  passphrase?: pulumi.Input<string>;
  /**
   * What "ready" means: `tcp`, `banner`, `auth` (key accepted, a session ran `true`) or `command` (the readiness
   * command exited 0). Defaults to `auth` with a `privateKey`, else `banner`.
   */
  level?: pulumi.Input<Level>;
  /**
   * Readiness command for level `command`. Defaults to waiting for cloud-init (`cloud-init status --wait`). A
   * secret command is never printed: progress lines call it "the readiness command".
   */
  command?: pulumi.Input<string>;
  /**
   * Ready only on a boot other than this one: a boot id (another SshReadiness's `bootId`, taken before a
   * reboot). Empty or unset: any boot. A new value means a new wait. Makes `command` the default level; a lower
   * level is refused.
   */
  afterBoot?: pulumi.Input<string>;
  /**
   * Host key pin: `SHA256:…` fingerprints or OpenSSH public key lines. Another key fails the wait at once, before
   * authentication. Defaults to none: the key presented is reported in the `hostKey` output. `"console"`: the
   * host keys cloud-init printed on the VM's console in the current boot, read from `serialLog`.
   */
  hostKeyPin?: pulumi.Input<string | string[]>;
  /**
   * The VM's serial console log, a file on the machine running Pulumi (a local VM's): a wait that gives up
   * carries the current boot's lines that matter in its error; with `hostKeyPin: "console"`, the host keys are
   * read there. Changing it alone does not wait again.
   */
  serialLog?: pulumi.Input<string>;
  /**
   * An Azure VM's resource ID (a VM's `id`): its console is read from its boot diagnostics, as `serialLog` reads a
   * file. Needs the optional `@azure/identity` and an Azure login where Pulumi runs. Changing it alone does not
   * wait again.
   */
  azureVmId?: pulumi.Input<string>;
  /**
   * Overall deadline: seconds, or a duration string ("15m"). Defaults to 10 minutes. Pulumi's `customTimeouts`
   * does not apply to dynamic resources; this does. Changing it alone does not wait again.
   */
  timeout?: pulumi.Input<number | string>;
  /** Limit of each connect, banner wait, and key exchange + login: seconds or a duration. Defaults to 15 s. */
  attemptTimeout?: pulumi.Input<number | string>;
  /** Limit of one run of the readiness command: seconds or a duration. Defaults to 5 minutes. */
  commandTimeout?: pulumi.Input<number | string>;
  /**
   * Reach the host through this SSH bastion. Stored as a secret (it may hold a key), so its address and user are
   * masked in progress lines and errors too.
   */
  jumpHost?: pulumi.Input<SshReadinessJumpHost>;
  /** Any values; a change forces a new wait (e.g. the VM's `vmId`, so a replaced VM is waited for again). */
  triggers?: pulumi.Input<pulumi.Input<unknown>[]>;
  /**
   * Prefix of the progress lines printed during `pulumi up`. Defaults to the resource's name. A secret label is
   * never printed (the lines say "secret label"); a private key is refused.
   */
  label?: pulumi.Input<string>;
}

/**
 * Waits, at creation, until the SSH server at `host` is ready. Its outputs (`hostKey`, `knownHostsLine`, …)
 * resolve only then, so anything built on them depends on real readiness. A refresh does not probe again.
 */
export class SshReadiness extends pulumi.dynamic.Resource {
  /** The host that was waited for. */
  declare readonly host: pulumi.Output<string>;
  /** Its SSH port. */
  declare readonly port: pulumi.Output<number>;
  /** The user that logged in, at levels `auth` and `command`. */
  declare readonly username: pulumi.Output<string | undefined>;
  /** The level that was waited for. */
  declare readonly level: pulumi.Output<Level>;
  /** The server's identification line, e.g. `SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13`. */
  declare readonly serverBanner: pulumi.Output<string | undefined>;
  /** The verified host key, as an OpenSSH public key line (for `remote.Command`'s `connection.hostKey`). */
  declare readonly hostKey: pulumi.Output<string | undefined>;
  /** `SHA256:…` fingerprint of `hostKey`, as `ssh-keygen -lf` prints it. */
  declare readonly hostKeyFingerprint: pulumi.Output<string | undefined>;
  /** A `known_hosts` line for the host (Ansible, ssh). */
  declare readonly knownHostsLine: pulumi.Output<string | undefined>;
  /** When sshd was found ready (ISO 8601). */
  declare readonly readyAt: pulumi.Output<string>;
  /** How long the wait took, in milliseconds. */
  declare readonly waitedMs: pulumi.Output<number>;
  /** How many attempts the wait made. */
  declare readonly attempts: pulumi.Output<number>;
  /** Things worth knowing that did not stop the wait (host key changed, cloud-init finished with errors). */
  declare readonly warnings: pulumi.Output<string[]>;
  /** The boot the readiness command ran on (level `command`, a Linux host): give it as `afterBoot` after a reboot. */
  declare readonly bootId: pulumi.Output<string | undefined>;

  constructor(name: string, args: SshReadinessArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      forwardingProvider,
      name,
      // The dynamic-provider host receives no secret marks: the program names the secret inputs for it.
      { ...readinessProps(name, args), __secretInputs: secretInputs(args) },
      opts,
      "ssh-readiness",
      "SshReadiness",
    );
  }
}

/**
 * The inputs given as secrets (`command`, `triggers`): known at preview too, since whether an Output is secret is
 * known before its value. Not itself secret: it names inputs, it holds no value.
 */
export function secretInputs(args: SshReadinessArgs): pulumi.Output<string[]> {
  // pulumi.output() of a list or object is secret when anything inside it is.
  const checks = Object.entries(args).map(async ([name, value]) =>
    (await pulumi.isSecret(pulumi.output(value))) ? [name] : [],
  );
  return pulumi.output(Promise.all(checks).then((found) => found.flat().sort()));
}

/**
 * What a readiness resource registers, of either kind (this dynamic one, or the provider plugin's): the inputs
 * with the key, its passphrase and the jump host secret even when given plain, the label defaulting to the
 * resource's name, and every output named (a resource gets only the outputs named in its props).
 */
export function readinessProps(name: string, args: SshReadinessArgs): pulumi.Inputs {
  renamed(args, "", "hostKey", "hostKeyPin");
  return {
    ...args,
    privateKey: args.privateKey === undefined ? undefined : pulumi.secret(args.privateKey),
    passphrase: args.passphrase === undefined ? undefined : pulumi.secret(args.passphrase),
    jumpHost: args.jumpHost === undefined ? undefined : pulumi.secret(args.jumpHost),
    label: args.label ?? name,
    username: args.username,
    level: args.level,
    serverBanner: undefined,
    hostKeyPin: args.hostKeyPin,
    hostKey: undefined,
    hostKeyFingerprint: undefined,
    knownHostsLine: undefined,
    readyAt: undefined,
    waitedMs: undefined,
    attempts: undefined,
    warnings: undefined,
    bootId: undefined,
  };
}
