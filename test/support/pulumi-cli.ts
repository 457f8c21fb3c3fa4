// The real Pulumi CLI, built from source by tools/pulumi-cli/build.sh, running programs against a local file
// backend: no cloud, no Pulumi service, no plugin downloads. Its tests' skip policy is here too.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { OpenSshServer } from "../../tools/simulator/openssh";
import { REPO } from "./consumer";
import { noSecretIn } from "./secrets";
import { untilTrue } from "./until";

const BUILD = "tools/pulumi-cli/build.sh";

/** The folder whose bin/ holds the CLI, the Node.js language host and the dynamic-provider launcher. */
function cliDir(): string | undefined {
  try {
    return execFileSync("bash", [join(REPO, BUILD), "--print-dir"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

/** The folder holding the CLI, its language hosts and gen-go-sdk (see the build script); throws if not built. */
export function pulumiCliBin(): string {
  const dir = cliDir();
  if (!dir) throw new Error(`the Pulumi CLI is not built: run \`bash ${BUILD}\``);
  return join(dir, "bin");
}

/**
 * Whether the real-CLI tests can run. Without the CLI they are skipped with a loud notice naming the build
 * script; under CI (CI=true) a missing CLI is a failure, never a skip (.ci/run builds it first).
 */
export function pulumiCliSkipReason(): string | false {
  if (cliDir()) return false;
  if (process.env.CI === "true")
    throw new Error(`the Pulumi CLI is not built: CI must run ${BUILD} first (.ci/run does)`);
  const notice = `SKIPPED: the real Pulumi CLI is not built; run \`bash ${BUILD}\` (needs Go) to run the real-CLI tests`;
  process.stderr.write(`\n*** ${notice} ***\n\n`);
  return notice;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A stack of a program in `dir`, with its own Pulumi home and file backend, removed by `dispose`. */
export class PulumiStack {
  readonly home: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly dir: string,
    readonly name = "test",
  ) {
    const bin = join(cliDir() ?? "", "bin");
    this.home = mkdtempSync(join(tmpdir(), "ssh-ready-pulumi-home-"));
    mkdirSync(join(this.home, "backend"));
    this.env = {
      ...process.env,
      // The CLI first, and this Node: the language host and the dynamic-provider launcher run `node` from PATH.
      PATH: [bin, dirname(process.execPath), process.env.PATH].join(":"),
      PULUMI_HOME: join(this.home, "home"),
      PULUMI_BACKEND_URL: `file://${join(this.home, "backend")}`,
      PULUMI_CONFIG_PASSPHRASE: "test passphrase for the stack's secrets",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      NO_COLOR: "1",
    };
  }

  /** Starts `pulumi ARGS --stack NAME` in the program's folder; `input` goes to its stdin. */
  start(args: string[], input?: string) {
    const child = spawn("pulumi", [...args, "--stack", this.name, "--non-interactive"], {
      cwd: this.dir,
      env: this.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.stdin.end(input);
    const done = new Promise<CliRun>((resolve) =>
      child.on("close", (code) => resolve({ code, stdout, stderr })),
    );
    return { child, done, output: () => stdout + stderr };
  }

  /** Runs `pulumi ARGS` to its end; rejects, with everything it printed, when it exits non-zero. */
  async run(args: string[], input?: string): Promise<CliRun> {
    const run = await this.start(args, input).done;
    if (run.code !== 0)
      throw new Error(`pulumi ${args.join(" ")} exited ${run.code}:\n${run.stdout}${run.stderr}`);
    return run;
  }

  /** `pulumi stack init` on the file backend. */
  async init(): Promise<void> {
    await this.run(["stack", "init"]);
  }

  /**
   * The `plugins:` part of a Pulumi.yaml that runs this repository's provider plugin from source. The engine asks
   * the Node.js language host to run a plugin folder, and the host built here (v3.68.0, the newest the Go module
   * proxy serves) answers this CLI with "not supported"; so a launcher in this stack's home does what that host
   * does: the SDK's run-plugin on provider/, with the engine's arguments.
   */
  pluginFromSource(): string {
    const folder = join(this.home, "plugin");
    mkdirSync(folder, { recursive: true });
    const runPlugin = require.resolve("@pulumi/pulumi/cmd/run-plugin", { paths: [REPO] });
    const launcher = join(folder, "pulumi-resource-vm-with-ready-ssh");
    writeFileSync(launcher, `#!/bin/sh\nexec node ${runPlugin} ${join(REPO, "provider")} "$@"\n`);
    chmodSync(launcher, 0o755);
    return `plugins:\n  providers:\n    - name: vm-with-ready-ssh\n      path: ${folder}\n`;
  }

  dispose(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

/**
 * The life of a program that declares one plugin `SshReadiness` (progress label `label`, level auth) against
 * `sshd`, not started yet, and exports its `hostKey`: `pulumi up` waits until sshd starts late, the output shows
 * the wait and no key, the host key is exported, a second up changes nothing, the state holds no key in plain
 * text, and destroy ends it.
 */
export async function lateSshdLifecycle(
  stack: PulumiStack,
  sshd: OpenSshServer,
  privateKey: string,
  label: string,
): Promise<void> {
  const noKey = noSecretIn([], [privateKey]);
  const up = stack.start(["up", "--yes"]);
  await untilTrue(
    () => /attempt \d+: connection refused/.test(up.output()),
    120_000,
    "a refused attempt",
  );
  await sshd.start();
  const created = await up.done;
  assert.equal(created.code, 0, created.stdout + created.stderr);
  assert.match(created.stdout, new RegExp(`\\[${label}\\] ready at level auth after`));
  noKey(created.stdout + created.stderr, "pulumi up's output");
  const hostKey = await stack.run(["stack", "output", "hostKey"]);
  assert.equal(hostKey.stdout.trim(), sshd.hostKeyPublic);
  await stack.run(["up", "--yes", "--expect-no-changes"]);
  const exported = await stack.run(["stack", "export"]);
  noKey(exported.stdout, "pulumi stack export");
  const destroyed = await stack.run(["destroy", "--yes"]);
  assert.match(destroyed.stdout, /2 deleted/);
}
