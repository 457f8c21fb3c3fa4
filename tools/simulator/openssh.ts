// A real OpenSSH sshd for tests, the demo and the benchmark: on loopback (127.0.0.1) and a free port, with its own config,
// host key and authorized_keys in a temp dir. Start, stop, restart with a new host key, authorize keys: a VM's
// boot in small.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

export const SSHD = "/usr/sbin/sshd";
const TEST_USER = "ssh-ready-test";

/**
 * Runs one of shadow's account tools (useradd, usermod, userdel). They refuse at once while another holds the
 * lock on /etc/passwd ("cannot lock /etc/passwd; try again later"), as test files running side by side do, so
 * a failure is tried again for a few seconds before it counts.
 */
export function accountTool(
  tool: "useradd" | "usermod" | "userdel",
  args: string[],
  /** Stop trying once this holds (another process did the work). */
  done: () => boolean = () => false,
): void {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      execFileSync(tool, args, { stdio: ["ignore", "ignore", "pipe"] });
      return;
    } catch (error) {
      if (done()) return;
      if (Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
}

export function accountExists(name: string): boolean {
  try {
    execFileSync("id", [name], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A plain user for tests, unlocked for key logins (useradd leaves it locked, "!", which sshd refuses). */
export function ensureUser(name: string): void {
  // Another test file may make it first.
  if (!accountExists(name))
    accountTool("useradd", ["-M", "-d", "/nonexistent", "-s", "/bin/sh", name], () =>
      accountExists(name),
    );
  const unlocked = readFileSync("/etc/shadow", "utf8")
    .split("\n")
    .some((line) => line.startsWith(`${name}:*:`));
  if (!unlocked) accountTool("usermod", ["-p", "*", name]);
}

/** The user tests log in as: a plain, unlocked user when we are root (root's shell start-up is slow), else us. */
export function loginUser(): string {
  if (process.getuid?.() !== 0) return userInfo().username;
  ensureUser(TEST_USER);
  return TEST_USER;
}

/**
 * A port of 127.0.0.1 that nothing listens on now, and that the system will not hand out by itself: chosen below
 * the ephemeral range (`ip_local_port_range`), where no `listen(0)` and no outgoing connection's source port
 * lands. A simulated VM keeps its port closed for seconds before it listens; an ephemeral port could be taken
 * meanwhile by any connection of the tests running beside it, and the listen would fail with EADDRINUSE (it
 * did: the benchmark's 200 hosts, closed for up to 10 s).
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  for (let tries = 0; tries < 50 && low > LOWEST_PORT + 1000; tries++) {
    const port = LOWEST_PORT + Math.floor(Math.random() * (low - LOWEST_PORT));
    if (await listensThenCloses(port)) return port;
  }
  // A system whose ephemeral range starts low: any free port, as the kernel gives it.
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The ports freePort chooses from start here: above the usual fixed services. */
const LOWEST_PORT = 20000;

/** The first port of the kernel's ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range). */
function ephemeralLow(): number {
  try {
    const low = Number(
      readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").split(/\s+/)[0],
    );
    return Number.isInteger(low) && low > 0 ? low : 32768;
  } catch {
    return 32768;
  }
}

function listensThenCloses(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

export interface OpenSshOptions {
  /** Directory put first on PATH in sessions (for a fake cloud-init). */
  binDir?: string;
  /** More sshd_config lines. */
  config?: string[];
  /** Use this host private key (OpenSSH text) instead of a generated one. */
  hostKeyPrivate?: string;
  /** Use these host private key files as they are (e.g. the keys cloud-init wrote), instead of one of ours. */
  hostKeyFiles?: string[];
  /** The user to log in as. Defaults to `loginUser()` (which, as root, creates a plain test user). */
  user?: string;
  /** The loopback address to listen on (127.0.0.0/8). Defaults to 127.0.0.1. */
  address?: string;
}

export class OpenSshServer {
  readonly dir: string;
  readonly user: string;
  readonly address: string;
  port = 0;
  hostKeyPublic = "";
  /** sshd's log lines (LogLevel VERBOSE), across restarts. */
  readonly log: string[] = [];
  private process?: ChildProcess;
  private generation = 0;

  constructor(private readonly options: OpenSshOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), "ssh-ready-sshd-"));
    chmodSync(this.dir, 0o755);
    mkdirSync(join(this.dir, "authorized_keys"), { mode: 0o755 });
    this.user = options.user ?? loginUser();
    this.address = options.address ?? "127.0.0.1";
    if (!/^127\.\d+\.\d+\.\d+$/.test(this.address))
      throw new Error(`sshd for tests listens on loopback only, not ${this.address}`);
    if (process.getuid?.() === 0) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    this.newHostKey();
  }

  /** Makes a new ed25519 host key (or installs `privateKey`); used from the next start. Returns its public key line. */
  newHostKey(privateKey = this.generation === 0 ? this.options.hostKeyPrivate : undefined): string {
    this.generation += 1;
    const file = join(this.dir, `host_ed25519_${this.generation}`);
    if (privateKey) {
      writeFileSync(file, privateKey, { mode: 0o600 });
      this.hostKeyPublic = execFileSync("ssh-keygen", ["-y", "-f", file], {
        encoding: "utf8",
      }).trim();
    } else {
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", file]);
      this.hostKeyPublic = readFileSync(`${file}.pub`, "utf8").trim();
    }
    return this.hostKeyPublic;
  }

  /** Writes the user's authorized_keys (replacing it). */
  authorize(...publicKeys: string[]): void {
    const file = join(this.dir, "authorized_keys", this.user);
    writeFileSync(file, publicKeys.map((k) => `${k}\n`).join(""), { mode: 0o644 });
  }

  revoke(): void {
    rmSync(join(this.dir, "authorized_keys", this.user), { force: true });
  }

  get running(): boolean {
    return this.process !== undefined;
  }

  async start(): Promise<void> {
    if (this.process) throw new Error("sshd is already running");
    if (this.port === 0) this.port = await freePort();
    const config = join(this.dir, "sshd_config");
    const path = [this.options.binDir, "/usr/local/bin", "/usr/bin", "/bin"]
      .filter(Boolean)
      .join(":");
    writeFileSync(
      config,
      [
        `Port ${this.port}`,
        `ListenAddress ${this.address}`,
        ...(this.options.hostKeyFiles ?? [join(this.dir, `host_ed25519_${this.generation}`)]).map(
          (file) => `HostKey ${file}`,
        ),
        `AuthorizedKeysFile ${join(this.dir, "authorized_keys", "%u")}`,
        "StrictModes no",
        "UsePAM no",
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        "PidFile none",
        `AllowUsers ${this.user}`,
        `SetEnv PATH=${path}`,
        "LogLevel VERBOSE",
        ...(this.options.config ?? []),
      ].join("\n") + "\n",
    );
    const child = spawn(SSHD, ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
    this.process = child;
    await new Promise<void>((resolve, reject) => {
      let buffered = "";
      const onExit = (code: number | null) =>
        reject(
          new Error(`sshd exited (${code}) before listening:\n${this.log.slice(-10).join("\n")}`),
        );
      child.once("exit", onExit);
      child.stderr!.setEncoding("utf8");
      child.stderr!.on("data", (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        for (const line of lines) {
          this.log.push(line);
          if (line.includes("Server listening on")) {
            child.removeListener("exit", onExit);
            resolve();
          }
        }
      });
    });
    child.once("exit", () => {
      if (this.process === child) this.process = undefined;
    });
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = undefined;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  }

  /**
   * Stops and starts again on the same port; with `newHostKey`, under a new host key; with `gapMs`, after that
   * long closed (as while a VM's agent regenerates keys). Sessions already open go on, as with systemd.
   */
  async restart(options: { newHostKey?: boolean; gapMs?: number } = {}): Promise<void> {
    await this.stop();
    if (options.newHostKey) this.newHostKey();
    if (options.gapMs) await new Promise((resolve) => setTimeout(resolve, options.gapMs));
    await this.start();
  }

  /** Connections sshd accepted so far (its log's "Connection from" lines). */
  connections(): number {
    return this.log.filter((line) => line.startsWith("Connection from")).length;
  }

  /** Connections sshd ended at MaxAuthTries: its "maximum authentication attempts exceeded" lines. */
  authLimitHits(): number {
    return this.log.filter((line) => line.startsWith("maximum authentication attempts exceeded"))
      .length;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
