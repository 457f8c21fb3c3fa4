// Ctrl-C during `pulumi up`, with the real Pulumi CLI, while SshReadiness's readiness command runs on a real sshd.
// Pulumi's dynamic-provider host ignores the engine's Cancel, so the first Ctrl-C cannot end the wait; the
// second ends the CLI, which takes the host down with it, and the command on the server ends with its session.
// The next `pulumi up` finishes the job.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readlinkSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { OpenSshServer } from "../../tools/simulator/openssh";
import { installedVersion, scratchProject, type ScratchProject } from "../support/consumer";
import { ed25519 } from "../support/keys";
import { opensshSkipReason } from "../support/openssh";
import { PulumiStack, pulumiCliSkipReason } from "../support/pulumi-cli";
import { untilTrue } from "../support/until";

const user = ed25519();
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { SshReadiness } = require("vm-with-ready-ssh/ssh-readiness");
const config = new pulumi.Config();
new SshReadiness("vm-ready", {
  host: "127.0.0.1",
  port: config.requireNumber("port"),
  username: config.require("user"),
  privateKey: config.requireSecret("sshPrivateKey"),
  level: "command",
  command: config.require("readinessCommand"),
  timeout: "10m",
});
`;

/** Processes whose working directory is `dir` (the dynamic-provider host runs in the program's). */
function processesIn(dir: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/cwd`) === dir;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe(
  "Ctrl-C with SshReadiness, under the real Pulumi CLI",
  { skip: opensshSkipReason() || pulumiCliSkipReason() },
  () => {
    let project: ScratchProject;
    let stack: PulumiStack;
    let sshd: OpenSshServer;
    const marker = 4000 + Math.floor(Math.random() * 900);
    const running = () =>
      spawnSync("pgrep", ["-u", sshd.user, "-f", `^sleep ${marker}$`]).status === 0;

    before(async () => {
      project = scratchProject("ctrl-c", { "@pulumi/pulumi": installedVersion("@pulumi/pulumi") });
      project.write("Pulumi.yaml", "name: ctrl-c\nruntime: nodejs\n");
      project.write("index.js", PROGRAM);
      sshd = new OpenSshServer();
      sshd.authorize(user.public);
      await sshd.start();
      stack = new PulumiStack(project.dir);
      await stack.init();
      await stack.run(["config", "set", "port", String(sshd.port)]);
      await stack.run(["config", "set", "user", sshd.user]);
      await stack.run(["config", "set", "--secret", "sshPrivateKey"], user.private);
      await stack.run(["config", "set", "readinessCommand", `sleep ${marker}`]);
    });
    after(async () => {
      spawnSync("pkill", ["-u", sshd.user, "-f", `^sleep ${marker}$`]);
      for (const pid of processesIn(project.dir)) spawnSync("kill", [String(pid)]);
      stack?.dispose();
      project?.dispose();
      await sshd?.dispose();
    });

    it("waits on at the first Ctrl-C, ends at the second with nothing left on the server, and the next up finishes", async () => {
      const up = stack.start(["up", "--yes"]);
      await untilTrue(running, 60_000, `sleep ${marker} to run on the server`);

      up.child.kill("SIGINT");
      await untilTrue(
        () => /\^C received; cancelling/.test(up.output()),
        10_000,
        "the CLI to cancel",
      );
      // The host ignores Cancel: the wait, and the command on the server, go on.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      assert.equal(up.child.exitCode, null, "the CLI still waits after the first Ctrl-C");
      assert.ok(running(), "the readiness command still runs after the first Ctrl-C");

      const secondAt = performance.now();
      up.child.kill("SIGINT");
      const run = await up.done;
      process.stderr.write(
        `pulumi up exited ${Math.round(performance.now() - secondAt)} ms after the second Ctrl-C\n`,
      );
      assert.notEqual(run.code, 0);
      await untilTrue(
        () => processesIn(project.dir).length === 0,
        30_000,
        "the provider host to end",
      );
      const hostGone = performance.now() - secondAt;
      await untilTrue(() => !running(), 30_000, `sleep ${marker} to end on the server`);
      process.stderr.write(
        `provider host gone ${Math.round(hostGone)} ms, remote command ${Math.round(performance.now() - secondAt)} ms after the second Ctrl-C\n`,
      );

      // The next up finishes the job; the interrupted create is reported, and a refresh clears it.
      await stack.run(["config", "set", "readinessCommand", "true"]);
      const next = await stack.run(["up", "--yes"]);
      assert.match(next.stdout, /1 created/);
      assert.match(next.stdout, /interrupted while creating/);
      await stack.run(["refresh", "--yes", "--clear-pending-creates"]);
      const again = await stack.run(["up", "--yes", "--expect-no-changes"]);
      assert.doesNotMatch(again.stdout, /pending operations/);
    });
  },
);
