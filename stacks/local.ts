// The `local` stack: no cloud account. A throwaway OpenSSH sshd on 127.0.0.1 "boots" like a fresh VM (its
// port stays closed for a few seconds), SshReadiness waits for it with a pinned host key, and a remote
// command runs after. `pulumi destroy` stops the sshd and removes its files.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { SshKeyPair } from "../components/azure/ssh-key-pair";
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

export function localProgram() {
  const settings = stackConfig();
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
