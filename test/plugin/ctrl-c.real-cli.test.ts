// Ctrl-C during `pulumi up`, with the real Pulumi CLI, while the provider plugin waits for a server that never
// answers: the engine's Cancel ends the wait, the CLI exits, and the next `pulumi up` finishes the job.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { silentServer, type Listening } from "../support/bad-servers";
import { installedVersion, scratchProject, type ScratchProject } from "../support/consumer";
import { PulumiStack, pulumiCliSkipReason } from "../support/pulumi-cli";
import { untilTrue } from "../support/until";

describe(
  "Ctrl-C with the provider plugin, under the real Pulumi CLI",
  { skip: pulumiCliSkipReason() },
  () => {
    let project: ScratchProject;
    let stack: PulumiStack;
    let silent: Listening;

    before(async () => {
      silent = await silentServer();
      project = scratchProject("plugin-ctrl-c", {
        "@pulumi/pulumi": installedVersion("@pulumi/pulumi"),
      });
      project.write(
        "index.js",
        `const pulumi = require("@pulumi/pulumi");
const config = new pulumi.Config();
// The plugin's SshReadiness, as a program in any language declares it through its SDK.
new pulumi.CustomResource("vm-with-ready-ssh:index:SshReadiness", "ready", {
  host: "127.0.0.1", port: config.requireNumber("port"), level: config.get("level") || "banner",
  timeout: "10m",
});
`,
      );
      stack = new PulumiStack(project.dir);
      project.write(
        "Pulumi.yaml",
        `name: plugin-ctrl-c\nruntime: nodejs\n${stack.pluginFromSource()}`,
      );
      await stack.init();
      await stack.run(["config", "set", "port", String(silent.port)]);
    });
    after(async () => {
      stack?.dispose();
      project?.dispose();
      await silent?.close();
    });

    it("ends the wait at the first Ctrl-C, the CLI exits, and the next up finishes the job", async () => {
      const up = stack.start(["up", "--yes"]);
      // The wait is under way once it has connected to the silent server (its banner wait lasts 15 s).
      await untilTrue(() => silent.connections() > 0, 60_000, "the wait to connect");
      const interruptedAt = performance.now();
      up.child.kill("SIGINT");
      const run = await up.done;
      const tookMs = performance.now() - interruptedAt;
      process.stderr.write(`pulumi up exited ${Math.round(tookMs)} ms after Ctrl-C\n`);
      assert.notEqual(run.code, 0);
      // The wait's progress lines reach the CLI's output, under the resource, through the engine's log.
      assert.match(
        run.stdout,
        new RegExp(`\\[ready\\] waiting for sshd on 127\\.0\\.0\\.1:${silent.port}`),
      );
      assert.match(
        run.stdout,
        /the wait for sshd was stopped after [\d.]+m?s: the deployment was cancelled/,
      );
      // At Ctrl-C, not at the wait's deadline 10 minutes away (how soon is measured above, not asserted).
      assert.ok(tookMs < 120_000, `exited ${Math.round(tookMs)} ms after Ctrl-C`);
      assert.equal(silent.open(), 0, "no connection is left open");

      // The next up finishes the job: at level tcp the silent server is ready.
      await stack.run(["config", "set", "level", "tcp"]);
      const next = await stack.run(["up", "--yes"]);
      assert.match(next.stdout, /1 created/);
      const exported = JSON.parse((await stack.run(["stack", "export"])).stdout) as {
        deployment: { pending_operations?: unknown[] };
      };
      assert.equal(
        exported.deployment.pending_operations?.length ?? 0,
        0,
        "no operation is left pending",
      );
    });
  },
);
