// A "fresh VM" on 127.0.0.1, walked through the boot that broke the incident's pipeline:
// port closed (RST) → sshd up without the user's key → key written → sshd restarted with a new host key →
// cloud-init still running → done. Each transition is timestamped so tests can tell "early" from "late".
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OpenSshServer, freePort } from "./openssh";

/** The exit code `cloud-init status --wait` will return: 0 done, 2 done with recoverable errors, 1 failed. */
export type CloudInitResult = 0 | 1 | 2;

export type BootPhase =
  "closed" | "sshd-without-key" | "keys-written" | "sshd-restarted" | "cloud-init-done";

/** Writes a fake `cloud-init` (status, status --wait) driven by files in `stateDir`; returns its bin dir. */
export function fakeCloudInit(dir: string): { binDir: string; stateDir: string } {
  const binDir = join(dir, "bin");
  const stateDir = join(dir, "cloud-init-state");
  mkdirSync(binDir, { recursive: true, mode: 0o755 });
  mkdirSync(stateDir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  const script = `#!/bin/sh
# Fake cloud-init for tests: "status [--wait]" only. Done when ${stateDir}/result holds an exit code.
state="${stateDir}"
[ "$1" = status ] || { echo "fake cloud-init: only 'status' is supported" >&2; exit 3; }
if [ "$2" = "--wait" ]; then
  while [ ! -f "$state/result" ]; do printf .; sleep 0.05; done
  echo
fi
if [ ! -f "$state/result" ]; then echo "status: running"; exit 0; fi
code=$(cat "$state/result")
case "$code" in
  0) echo "status: done" ;;
  2) echo "status: done"; echo "recoverable error: package_update failed" ;;
  *) echo "status: error"; echo "Unexpected error in module cc_scripts_user" ;;
esac
exit "$code"
`;
  writeFileSync(join(binDir, "cloud-init"), script, { mode: 0o755 });
  return { binDir, stateDir };
}

export class BootSimulator {
  readonly kind = "openssh";
  readonly server: OpenSshServer;
  readonly stateDir: string;
  /** performance.now() of each transition. */
  readonly at: Partial<Record<BootPhase, number>> = {};

  private constructor(
    server: OpenSshServer,
    stateDir: string,
    private readonly root: string,
  ) {
    this.server = server;
    this.stateDir = stateDir;
  }

  /** A VM whose port is closed. `user`: who logs in (defaults as OpenSshServer's). */
  static async create(options: { user?: string } = {}): Promise<BootSimulator> {
    const root = mkdtempSync(join(tmpdir(), "ssh-ready-vm-"));
    const { binDir, stateDir } = fakeCloudInit(root);
    const server = new OpenSshServer({ binDir, user: options.user });
    server.port = await freePort();
    const sim = new BootSimulator(server, stateDir, root);
    sim.at.closed = performance.now();
    return sim;
  }

  get port(): number {
    return this.server.port;
  }

  get user(): string {
    return this.server.user;
  }

  async startSshdWithoutKey(): Promise<void> {
    this.server.revoke();
    await this.server.start();
    this.at["sshd-without-key"] = performance.now();
  }

  writeKeys(publicKey: string): void {
    this.server.authorize(publicKey);
    this.at["keys-written"] = performance.now();
  }

  /** Restarts sshd under a new host key; with `gapMs`, the port stays closed that long. */
  async restartWithNewHostKey(gapMs = 0): Promise<void> {
    await this.server.restart({ newHostKey: true, gapMs });
    this.at["sshd-restarted"] = performance.now();
  }

  /** Connections the VM's sshd accepted so far. */
  connections(): number {
    return this.server.connections();
  }

  authLimitHits(): number {
    return this.server.authLimitHits();
  }

  finishCloudInit(result: CloudInitResult = 0): void {
    const temp = join(this.stateDir, "result.tmp");
    writeFileSync(temp, `${result}\n`);
    renameSync(temp, join(this.stateDir, "result"));
    this.at["cloud-init-done"] = performance.now();
  }

  /**
   * Runs the whole boot with pauses (ms) between steps; resolves when cloud-init is done.
   * Defaults: closed 1 s, no key 1.5 s, key written 1 s before the restart, cloud-init busy 2 s after it.
   */
  async boot(
    userPublicKey: string,
    pauses: {
      closed?: number;
      withoutKey?: number;
      beforeRestart?: number;
      cloudInit?: number;
    } = {},
  ): Promise<void> {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await sleep(pauses.closed ?? 1000);
    await this.startSshdWithoutKey();
    await sleep(pauses.withoutKey ?? 1500);
    this.writeKeys(userPublicKey);
    await sleep(pauses.beforeRestart ?? 1000);
    await this.restartWithNewHostKey();
    await sleep(pauses.cloudInit ?? 2000);
    this.finishCloudInit(0);
  }

  async dispose(): Promise<void> {
    await this.server.dispose();
    rmSync(this.root, { recursive: true, force: true });
  }
}
