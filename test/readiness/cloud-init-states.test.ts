// The default readiness command against Debian's real cloud-init (22.4) in each state `cloud-init status` reports:
// the command runs with `sh` in a private mount namespace whose /run is a scratch directory holding systemd's and
// cloud-init's run files as a boot leaves them (a stand-in `systemctl` answers `is-system-running`, as systemd
// would). Then what the wait makes of each answer, served as it came by an SSH server.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SshNotReadyError, waitForSsh } from "../../components/readiness";
import {
  CLOUD_INIT_COMMAND,
  DID_NOT_RUN_EXIT,
  NOT_STARTED_MARKER,
} from "../../components/readiness/options";
import { acceptingServer, type AcceptingSsh, type CommandAnswer } from "../support/bad-servers";
import { cloudInitSkipReason, inPrivateMounts } from "../support/cloud-init";
import { ed25519 } from "../support/keys";
import { scratchDir } from "../support/scratch";

interface Run {
  code: number | null;
  output: string;
}

/** A boot's run files: whether systemd runs the machine and how far it is, and cloud-init's own files. */
interface BootState {
  /** What `systemctl is-system-running` says; undefined: no systemd (no /run/systemd/system). */
  systemd?: string;
  /** Files under /run/cloud-init: `enabled` or `disabled` (its generator's verdict), status.json, result.json. */
  cloudInit: Record<string, string>;
}

/** status.json and result.json as cloud-init writes them; `finished` undefined: the stage still runs. */
function stage(finished: number | undefined, errors: string[] = []) {
  return { errors, start: 1765000000, finished: finished ?? null };
}
const STAGES = ["init-local", "init", "modules-config", "modules-final"];
function statusJson(running: boolean, errors: string[] = []): string {
  const v1: Record<string, unknown> = {
    datasource: "DataSourceNoCloud [seed=/dev/vdb][dsmode=net]",
    stage: running ? "modules-final" : null,
  };
  STAGES.forEach((name, i) => {
    const last = i === STAGES.length - 1;
    v1[name] = stage(running && last ? undefined : 1765000010 + i, last ? errors : []);
  });
  return JSON.stringify({ v1 });
}
const RESULT_JSON = JSON.stringify({
  v1: { datasource: "DataSourceNoCloud [seed=/dev/vdb][dsmode=net]", errors: [] },
});

class Boot {
  readonly dir = scratchDir("cloud-init-states-");
  readonly run = join(this.dir, "run");
  private readonly bin = join(this.dir, "bin");

  constructor(state: BootState) {
    mkdirSync(join(this.run, "cloud-init"), { recursive: true });
    mkdirSync(this.bin);
    writeFileSync(
      join(this.bin, "systemctl"),
      `#!/bin/sh\ncase "$1" in is-system-running) cat ${this.dir}/system-state;; *) exit 1;; esac\n`,
    );
    chmodSync(join(this.bin, "systemctl"), 0o755);
    if (state.systemd !== undefined) {
      mkdirSync(join(this.run, "systemd/system"), { recursive: true });
      this.systemd(state.systemd);
    }
    for (const [name, text] of Object.entries(state.cloudInit)) this.write(name, text);
  }

  systemd(state: string): void {
    writeFileSync(join(this.dir, "system-state"), `${state}\n`);
  }

  write(name: string, text: string): void {
    writeFileSync(join(this.run, "cloud-init", name), text);
  }

  /**
   * Runs the default command as a session would; `during` acts on the boot while it runs. `stopAfterMs`: end it
   * then (a command that would wait for ever), as the wait's deadline would.
   */
  command(during?: () => Promise<void>, stopAfterMs?: number): Promise<Run> {
    const [command, ...args] = inPrivateMounts({ "/run": this.run }, [
      "env",
      `PATH=${this.bin}:/usr/sbin:/usr/bin:/sbin:/bin`,
      "sh",
      "-c",
      CLOUD_INIT_COMMAND,
    ]);
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    void during?.();
    const stop = stopAfterMs ? setTimeout(() => child.kill("SIGTERM"), stopAfterMs) : undefined;
    return new Promise((resolve) =>
      child.on("close", (code) => {
        clearTimeout(stop);
        resolve({ code, output });
      }),
    );
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(
  "the default readiness command against the real cloud-init, in each state it reports",
  { skip: cloudInitSkipReason({ needsRoot: true }) },
  () => {
    const user = ed25519();
    let ssh: AcceptingSsh;
    let answer: CommandAnswer = { code: 0 };
    before(async () => {
      ssh = await acceptingServer({
        answer: (command) => (command === "true" ? { code: 0 } : answer),
      });
    });
    after(() => ssh.close());

    /** The wait, at level command with the default command, whose server answers as `run` did. */
    function waitOn(run: Run, options: { hang?: boolean; timeout?: number } = {}) {
      answer = options.hang
        ? { output: run.output, hang: true }
        : { output: run.output, code: run.code ?? 255 };
      return waitForSsh({
        host: "127.0.0.1",
        port: ssh.port,
        username: "azureuser",
        privateKey: user.private,
        level: "command",
        timeout: options.timeout ?? 10,
      });
    }

    it("done: cloud-init's own answer, at once; ready", async () => {
      const boot = new Boot({
        systemd: "running",
        cloudInit: { enabled: "", "status.json": statusJson(false), "result.json": RESULT_JSON },
      });
      const run = await boot.command();
      assert.deepEqual(run, { code: 0, output: "\nstatus: done\n" });
      const result = await waitOn(run);
      assert.deepEqual(result.warnings, []);
    });

    it("error: cloud-init's exit 1, final", async () => {
      const boot = new Boot({
        systemd: "degraded",
        cloudInit: {
          enabled: "",
          "status.json": statusJson(false, [
            "('scripts_user', RuntimeError('runparts: 1 failed'))",
          ]),
          "result.json": RESULT_JSON,
        },
      });
      const run = await boot.command();
      assert.deepEqual(run, { code: 1, output: "\nstatus: error\n" });
      const error = await waitOn(run).catch((e: unknown) => e);
      assert.ok(error instanceof SshNotReadyError, String(error));
      assert.equal(error.code, "COMMAND_FAILED");
      assert.match(error.message, /^cloud-init on 127\.0\.0\.1:\d+ failed \(/);
    });

    it("disabled (its generator found no datasource): ready at once, with a note saying why", async () => {
      const boot = new Boot({ systemd: "running", cloudInit: { disabled: "" } });
      const run = await boot.command();
      assert.equal(run.code, 0, run.output);
      assert.match(run.output, /^status: disabled\n/);
      assert.match(run.output, /\nCloud-init disabled by cloud-init-generator\n/);
      const result = await waitOn(run);
      assert.deepEqual(result.warnings, [
        "cloud-init is disabled on the host (Cloud-init disabled by cloud-init-generator): it does no work on this boot, and ready means a command ran",
      ]);
    });

    it("not started while systemd still starts the system: waits for it to start, then to finish", async () => {
      const boot = new Boot({ systemd: "starting", cloudInit: { enabled: "" } });
      const run = await boot.command(async () => {
        await sleep(1500);
        boot.write("status.json", statusJson(true));
        await sleep(1500);
        boot.write("status.json", statusJson(false));
        boot.write("result.json", RESULT_JSON);
      });
      assert.equal(run.code, 0, run.output);
      assert.match(run.output, new RegExp(`^${NOT_STARTED_MARKER}\\.+\\n\\.+\\nstatus: done\\n$`));
      // Ready, after a confirming login: it waited, so sshd may have restarted meanwhile.
      const connections = ssh.connections();
      const result = await waitOn(run);
      assert.deepEqual(result.warnings, []);
      assert.equal(ssh.connections() - connections, 2);
    });

    it("not started, and systemd finished starting the system without it: a verdict, final", async () => {
      for (const state of ["running", "degraded"]) {
        const boot = new Boot({ systemd: "starting", cloudInit: { enabled: "" } });
        const run = await boot.command(async () => {
          await sleep(1500);
          boot.systemd(state);
        });
        assert.equal(run.code, DID_NOT_RUN_EXIT, run.output);
        assert.match(
          run.output,
          new RegExp(
            `^${NOT_STARTED_MARKER}\\.+\\nssh-ready: cloud-init did not run on this boot: systemd finished starting the system without it\\n$`,
          ),
        );
        const error = await waitOn(run).catch((e: unknown) => e);
        assert.ok(error instanceof SshNotReadyError, String(error));
        assert.equal(error.code, "COMMAND_FAILED");
        assert.match(
          error.message,
          /^cloud-init on 127\.0\.0\.1:\d+ did not run on this boot: systemd finished starting the system without it, after [\d.]+m?s; waiting longer will not help\. It is installed and not disabled, but none of its stages started: are its units disabled or masked \(`systemctl status cloud-init-local cloud-init cloud-config cloud-final` on the VM\)\? If this host is not meant to run cloud-init, wait at level auth, or with a readiness command of your own\.$/,
        );
      }
    });

    it("not started, without systemd: no evidence either way, so it waits to the deadline, which says so", async () => {
      const boot = new Boot({ cloudInit: {} });
      const run = await boot.command(undefined, 2500);
      assert.match(run.output, new RegExp(`^${NOT_STARTED_MARKER}\\.+$`));
      const error = await waitOn(run, { hang: true, timeout: 1 }).catch((e: unknown) => e);
      assert.ok(error instanceof SshNotReadyError, String(error));
      assert.equal(error.code, "SSH_NOT_READY");
      assert.match(
        error.message,
        /^azureuser@127\.0\.0\.1:\d+ logs in, but the readiness command never succeeded: 1 × command timed out over [\d.]+s \(cloud-init had not started on this boot when the wait ended \(`cloud-init status`: not run, or not started\)\. Under systemd it starts early in every boot, and the wait stops by itself once systemd has started the system without it; without systemd nothing shows whether it will\. If this host is not meant to run cloud-init, wait at level auth, or with a readiness command of your own\)\. Last error: /,
      );
    });
  },
);
