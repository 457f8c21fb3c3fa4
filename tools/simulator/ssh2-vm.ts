// A simulated fresh VM without OpenSSH: ssh2's in-process server plays sshd (public key login, exec of
// `true` and of the cloud-init wait) through the same boot as the OpenSSH simulator.
import { randomUUID } from "node:crypto";
import net from "node:net";
import { Server as SshServer, utils, type Connection } from "ssh2";
import { generateEd25519 } from "../../components/keys/generation";
import { unbound } from "../../components/readiness/session";
import type { BootPhase, CloudInitResult } from "./boot-simulator";
import { freePort } from "./openssh";

/** sshd's default MaxAuthTries. */
const MAX_AUTH_TRIES = 6;
/** The boot id prefix the engine puts before the readiness command, and its guard when given `afterBoot`. */
const BOOT_PREFIX =
  /^ssh_ready_boot=\$\(cat \/proc\/sys\/kernel\/random\/boot_id 2>\/dev\/null\); echo "ssh-ready boot \$\{ssh_ready_boot:-unknown\}"; (?:\[ "\$ssh_ready_boot" != "([0-9a-f-]+)" \] \|\| exit (\d+); )?/;

export class Ssh2Vm {
  readonly kind = "ssh2";
  readonly user = "azureuser";
  readonly at: Partial<Record<BootPhase, number>> = { closed: performance.now() };
  private listener?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private accepted = 0;
  private authLimit = 0;
  private authorized?: Buffer;
  private cloudInit?: CloudInitResult;
  private readonly cloudInitWaiters: (() => void)[] = [];
  private ssh = this.newServer();
  /** The boot this simulated machine is on, as Linux's boot_id; a test sets another to play a reboot. */
  bootId: string = randomUUID();

  private constructor(readonly port: number) {}

  static async create(): Promise<Ssh2Vm> {
    return new Ssh2Vm(await freePort());
  }

  private newServer(): SshServer {
    return new SshServer({ hostKeys: [generateEd25519().privateKey] }, (client) =>
      this.serve(client),
    );
  }

  private serve(client: Connection): void {
    client.on("error", () => undefined);
    let failures = 0;
    client.on("authentication", (ctx) => {
      const key = ctx.method === "publickey" ? utils.parseKey(ctx.key.data) : undefined;
      const allowed =
        ctx.method === "publickey" &&
        this.authorized !== undefined &&
        ctx.key.data.equals(this.authorized) &&
        key !== undefined &&
        !(key instanceof Error) &&
        !Array.isArray(key) &&
        (!ctx.signature || key.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true);
      if (allowed) return ctx.accept();
      // As sshd: each refusal counts, and at MaxAuthTries (6 by default) the connection ends.
      if (++failures >= MAX_AUTH_TRIES) {
        this.authLimit += 1;
        return client.end();
      }
      ctx.reject(["publickey"]);
    });
    client.on("ready", () =>
      client.on("session", (accept) =>
        accept().on("exec", (acceptExec, _reject, info) => {
          // The command as written: this simulation runs no shell to honour the session binding.
          let command = unbound(info.command);
          const stream = acceptExec();
          // The boot id prefix (attempt.ts, withBootId), done as the shell would: the line, then the guard.
          const boot = BOOT_PREFIX.exec(command);
          if (boot) {
            stream.write(`ssh-ready boot ${this.bootId}\n`);
            if (boot[1] === this.bootId) {
              stream.exit(Number(boot[2]));
              return stream.end();
            }
            command = command.slice(boot[0].length);
          }
          const finish = (code: number, output: string) => {
            stream.write(output);
            stream.exit(code);
            stream.end();
          };
          // The boot id as a command reads it (Ansible's reboot: `cat /proc/sys/kernel/random/boot_id`), alone or
          // before another command.
          const bootIdRead = /^cat \/proc\/sys\/kernel\/random\/boot_id(?:$|; )/.exec(command);
          if (bootIdRead) {
            stream.write(`${this.bootId}\n`);
            command = command.slice(bootIdRead[0].length);
            if (command === "") return finish(0, "");
          }
          if (command === "true") return finish(0, "");
          if (command === "whoami") return finish(0, `${this.user}\n`);
          if (!command.includes("cloud-init")) return finish(127, `sh: ${command}: not found\n`);
          const answer = () =>
            finish(this.cloudInit!, this.cloudInit === 0 ? "status: done\n" : "status: error\n");
          if (this.cloudInit !== undefined) answer();
          else if (!command.includes("--wait")) finish(0, "status: running\n");
          else {
            // As cloud-init's --wait: a dot per poll while it runs.
            stream.write(".");
            this.cloudInitWaiters.push(answer);
          }
        }),
      ),
    );
  }

  private async listen(): Promise<void> {
    const listener = net.createServer((socket) => {
      this.accepted += 1;
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      this.ssh.injectSocket(socket);
    });
    await new Promise<void>((resolve) => listener.listen(this.port, "127.0.0.1", resolve));
    this.listener = listener;
  }

  async startSshdWithoutKey(): Promise<void> {
    await this.listen();
    this.at["sshd-without-key"] = performance.now();
  }

  writeKeys(publicKey: string): void {
    const parsed = utils.parseKey(publicKey);
    if (parsed instanceof Error || Array.isArray(parsed)) throw new Error("not a public key");
    this.authorized = parsed.getPublicSSH();
    this.at["keys-written"] = performance.now();
  }

  /** Stops listening (open sessions go on), then listens again under a new host key after `gapMs`. */
  async restartWithNewHostKey(gapMs = 0): Promise<void> {
    // close() stops accepting at once; its callback would wait for the open sessions, which a restart keeps.
    this.listener?.close();
    this.listener = undefined;
    this.ssh = this.newServer();
    if (gapMs) await new Promise((resolve) => setTimeout(resolve, gapMs));
    await this.listen();
    this.at["sshd-restarted"] = performance.now();
  }

  /**
   * The machine goes down for a reboot: sshd stops (its sessions end with it) and the port refuses; the new boot
   * has not run cloud-init yet (`/run` starts empty). The keys and the host key stay on disk for the next boot.
   */
  async shutDown(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.cloudInitWaiters.splice(0);
    this.cloudInit = undefined;
    if (listener) await new Promise((resolve) => listener.close(resolve));
  }

  /** The next boot: another boot id, and sshd listening again with the same host key. */
  async bootAgain(): Promise<void> {
    this.bootId = randomUUID();
    await this.listen();
  }

  finishCloudInit(result: CloudInitResult = 0): void {
    this.cloudInit = result;
    this.at["cloud-init-done"] = performance.now();
    for (const answer of this.cloudInitWaiters.splice(0)) answer();
  }

  connections(): number {
    return this.accepted;
  }

  authLimitHits(): number {
    return this.authLimit;
  }

  async dispose(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const listener = this.listener;
    if (listener) await new Promise((resolve) => listener.close(resolve));
  }
}
