// The `local` stack: no cloud account. A throwaway OpenSSH sshd on 127.0.0.1 "boots" like a fresh VM (its
// port stays closed for a few seconds), SshReadiness waits for it with a pinned host key, and a remote
// command runs after. `pulumi destroy` stops the sshd and removes its files. With `localMachine: vm`, the
// machine is a real fresh VM under QEMU instead, with VmWithReadySsh's custom data and readiness.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { vmUserData, type HostKeys } from "../components/azure/cloud-init";
import { KEY_TYPES } from "../components/keys/generation";
import { SshKeyPair } from "../components/azure/ssh-key-pair";
import { checkUserData } from "../components/azure/user-data";
import { SshReadiness } from "../components/ssh-readiness";
import { stackConfig } from "./config";

/**
 * Starts sshd as a fresh VM would: the port closed for BOOT_DELAY seconds, then sshd with the given host key
 * and authorized key. Returns at once; the boot goes on in the background.
 */
export const START_SSHD = `set -eu
: "\${STATE_DIR:?}" "\${PORT:?}" "\${AUTHORIZED_KEY:?}" "\${HOST_PRIVATE_KEY:?}"
sshd=/usr/sbin/sshd
[ -x "$sshd" ] || { echo "$sshd not found: install openssh-server" >&2; exit 1; }
mkdir -p "$STATE_DIR"
chmod 755 "$STATE_DIR"
( umask 077; printf '%s\\n' "$HOST_PRIVATE_KEY" > "$STATE_DIR/host_ed25519" )
printf '%s\\n' "$AUTHORIZED_KEY" > "$STATE_DIR/authorized_keys"
chmod 644 "$STATE_DIR/authorized_keys"
printf '%s\\n' "Port $PORT" "ListenAddress 127.0.0.1" "HostKey $STATE_DIR/host_ed25519" \\
  "AuthorizedKeysFile $STATE_DIR/authorized_keys" "PidFile $STATE_DIR/sshd.pid" "StrictModes no" "UsePAM no" \\
  "PasswordAuthentication no" "KbdInteractiveAuthentication no" > "$STATE_DIR/sshd_config"
if [ "$(id -u)" = 0 ]; then mkdir -p /run/sshd; fi
nohup sh -c "sleep \${BOOT_DELAY:-5}; exec $sshd -f '$STATE_DIR/sshd_config' -E '$STATE_DIR/sshd.log'" >/dev/null 2>&1 &
echo $! > "$STATE_DIR/boot.pid"
echo "sshd will listen on 127.0.0.1:$PORT in \${BOOT_DELAY:-5}s"
`;

/** Stops the boot if it is still waiting, stops sshd, and removes the state directory. */
export const STOP_SSHD = `set -u
for pidfile in "$STATE_DIR/boot.pid" "$STATE_DIR/sshd.pid"; do
  if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
done
rm -rf "$STATE_DIR"
`;

/** The `local` stack's machine: a throwaway sshd on loopback (default), or a real VM under QEMU. */
export type LocalMachine = "sshd" | "vm";

export function localProgram() {
  const settings = stackConfig();
  const machine = settings.config.get("localMachine") ?? "sshd";
  if (machine !== "sshd" && machine !== "vm") {
    throw new Error(
      `[localMachine] must be "sshd" (a throwaway sshd on 127.0.0.1) or "vm" (a real VM under QEMU), not ${JSON.stringify(machine)}`,
    );
  }
  return machine === "vm" ? localVmProgram(settings) : localSshdProgram(settings);
}

/** The real VM's start and stop: tools/real-vm/cli.js, compiled beside this program. */
export const REAL_VM_CLI = join(__dirname, "../tools/real-vm/cli.js");

/**
 * A real fresh VM on this machine (root, QEMU and the image of tools/real-vm/build-image.sh): the same custom
 * data as VmWithReadySsh makes (the user's `customData` and three pinned host keys), the same readiness (level
 * command, the pins), so a cloud-init and a provisioning can be tried before paying for Azure.
 */
function localVmProgram(settings: ReturnType<typeof stackConfig>) {
  const username = settings.adminUsername;
  const stateDir = join(tmpdir(), `vm-with-ready-ssh-${pulumi.getStack()}-vm`);
  const userKey = new SshKeyPair("local-user-key", { comment: `${username}@local-vm` });
  const hostKeys = KEY_TYPES.map(
    (keyType) => new SshKeyPair(`local-host-${keyType}`, { keyType, comment: "local-vm" }),
  );
  if (settings.customData !== undefined) checkUserData(settings.customData);
  const userData = pulumi
    .all(hostKeys.map((k) => [k.privateKey, k.publicKey] as const))
    .apply((pairs) => {
      const keys = Object.fromEntries(
        KEY_TYPES.map((type, i) => [type, { privateKey: pairs[i][0], publicKey: pairs[i][1] }]),
      ) as HostKeys;
      return vmUserData(settings.customData, keys)!;
    });
  const vm = new command.local.Command("local-vm", {
    create: `exec node ${REAL_VM_CLI} start`,
    delete: `exec node ${REAL_VM_CLI} stop`,
    interpreter: ["/bin/sh", "-c"],
    environment: {
      STATE_DIR: stateDir,
      USER_DATA: pulumi.secret(userData),
      ADMIN_USER: username,
      ADMIN_PUBLIC_KEY: userKey.publicKey,
      VM_HOSTNAME: `local-${pulumi.getStack()}`,
    },
  });
  // A VM started by an older version of this stack printed no serialLog: undefined, which SshReadiness takes as unset.
  const started = vm.stdout.apply(
    (out) => JSON.parse(out) as { address: string; serialLog: string },
  );
  const address = started.apply((vm) => vm.address);
  const ready = new SshReadiness(
    "local-ready",
    {
      host: address,
      username,
      privateKey: userKey.privateKey,
      hostKeyPin: pulumi.all(hostKeys.map((k) => k.publicKey)),
      // The VM's console: a wait that gives up shows its lines that matter.
      serialLog: started.apply((vm) => vm.serialLog),
      level: "command",
      timeout: "10m",
      triggers: [vm.id],
    },
    { dependsOn: [vm] },
  );
  return helloAfter(ready, username, userKey);
}

function localSshdProgram(settings: ReturnType<typeof stackConfig>) {
  const port = settings.config.getNumber("localPort") ?? 22022;
  const bootDelay = settings.config.getNumber("localBootDelay") ?? 5;
  const username = settings.config.get("localUser") ?? userInfo().username;
  const stateDir = join(tmpdir(), `vm-with-ready-ssh-${pulumi.getStack()}`);

  const userKey = new SshKeyPair("local-user-key", { comment: `${username}@local-stack` });
  const hostKey = new SshKeyPair("local-host-key", { comment: "local-stack host key" });
  const sshd = new command.local.Command("local-sshd", {
    create: START_SSHD,
    delete: STOP_SSHD,
    interpreter: ["/bin/sh", "-c"],
    environment: {
      STATE_DIR: stateDir,
      PORT: String(port),
      BOOT_DELAY: String(bootDelay),
      AUTHORIZED_KEY: userKey.publicKey,
      HOST_PRIVATE_KEY: pulumi.secret(hostKey.privateKey),
    },
  });
  const ready = new SshReadiness(
    "local-ready",
    {
      host: "127.0.0.1",
      port,
      username,
      privateKey: userKey.privateKey,
      hostKeyPin: hostKey.publicKey,
      level: "auth",
      timeout: "2m",
      triggers: [sshd.id],
    },
    { dependsOn: [sshd] },
  );
  return helloAfter(ready, username, userKey);
}

/** A remote command once ready, against the verified host key: what a provisioning step would be. */
function helloAfter(ready: SshReadiness, username: string, userKey: SshKeyPair) {
  const hello = new command.remote.Command(
    "local-hello",
    {
      connection: {
        host: ready.host,
        port: ready.port,
        user: username,
        privateKey: pulumi.secret(userKey.privateKey),
        hostKey: ready.hostKey.apply((key) => key ?? ""),
      },
      create: "echo hello from $(hostname), verified and ready",
    },
    { dependsOn: [ready] },
  );
  return {
    sshHost: ready.host,
    sshPort: ready.port,
    knownHostsLine: ready.knownHostsLine,
    waitedMs: ready.waitedMs,
    hello: hello.stdout,
  };
}
