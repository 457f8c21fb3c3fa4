// SshReadiness under the real Pulumi CLI (built from source by tools/pulumi-cli/build.sh), in a program that
// installs this package from its tarball as a user does, against real OpenSSH on loopback and a file backend:
// preview, an up that waits for a late sshd, the second up, a refresh with sshd stopped, an update, a
// replacement, the state as `pulumi stack export` writes it, and destroy.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { OpenSshServer, freePort } from "../../tools/simulator/openssh";
import { connectionsDuring } from "../support/bad-servers";
import { installedVersion, scratchProject, type ScratchProject } from "../support/consumer";
import { ed25519 } from "../support/keys";
import { opensshSkipReason } from "../support/openssh";
import { PulumiStack, pulumiCliSkipReason } from "../support/pulumi-cli";
import { noSecretIn } from "../support/secrets";

const TOKEN = `TOKEN${randomBytes(6).toString("hex")}`;
const PASSPHRASE = `pass-${TOKEN}`;
const user = ed25519(PASSPHRASE);
const SECRET_COMMAND = `test -n "${TOKEN}"`;
const noSecret = noSecretIn([PASSPHRASE, TOKEN], [user.private]);

/** The user's program: plain JavaScript, so the CLI runs it as it is. */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { SshReadiness } = require("vm-with-ready-ssh/ssh-readiness");
const config = new pulumi.Config();
const ready = new SshReadiness("vm-ready", {
  host: "127.0.0.1",
  port: config.requireNumber("port"),
  username: config.require("user"),
  privateKey: config.requireSecret("sshPrivateKey"),
  passphrase: config.requireSecret("sshPassphrase"),
  level: "command",
  command: config.requireSecret("readinessCommand"),
  timeout: config.get("timeout") || "60s",
  triggers: [config.get("vmId") || "vm-1"],
});
exports.hostKey = ready.hostKey;
`;

describe(
  "SshReadiness under the real Pulumi CLI",
  { skip: opensshSkipReason() || pulumiCliSkipReason() },
  () => {
    let project: ScratchProject;
    let stack: PulumiStack;
    let sshd: OpenSshServer;

    before(async () => {
      project = scratchProject("real-cli", {
        "@pulumi/pulumi": installedVersion("@pulumi/pulumi"),
      });
      project.write("Pulumi.yaml", "name: real-cli\nruntime: nodejs\n");
      project.write("index.js", PROGRAM);
      sshd = new OpenSshServer();
      sshd.authorize(user.public);
      sshd.port = await freePort();
      stack = new PulumiStack(project.dir);
      await stack.init();
      await stack.run(["config", "set", "port", String(sshd.port)]);
      await stack.run(["config", "set", "user", sshd.user]);
      await stack.run(["config", "set", "--secret", "sshPrivateKey"], user.private);
      await stack.run(["config", "set", "--secret", "sshPassphrase"], PASSPHRASE);
      await stack.run(["config", "set", "--secret", "readinessCommand"], SECRET_COMMAND);
    });
    after(async () => {
      stack?.dispose();
      project?.dispose();
      await sshd?.dispose();
    });

    it("previews, waits for a late sshd, then leaves it alone, refreshes without probing, updates, replaces and destroys", async () => {
      const preview = await stack.run(["preview"]);
      assert.match(
        preview.stdout,
        /\+ {2}pulumi-nodejs:dynamic\/ssh-readiness:SshReadiness vm-ready create/,
      );

      // sshd starts once the wait has met a closed port: the up must wait for it.
      const up = stack.start(["up", "--yes"]);
      for (let i = 0; i < 600 && !/attempt \d+: connection refused/.test(up.output()); i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.match(up.output(), /\[vm-ready\] waiting for sshd on 127\.0\.0\.1:\d+/);
      await sshd.start();
      const created = await up.done;
      assert.equal(created.code, 0, created.stdout + created.stderr);
      assert.match(created.stdout, /\[vm-ready\] \+[\d.]+s attempt 1: connection refused/);
      assert.match(created.stdout, /logged in; waiting for the readiness command/);
      assert.match(created.stdout, /\[vm-ready\] ready at level command after/);
      noSecret(created.stdout + created.stderr, "pulumi up's output");
      const hostKey = await stack.run(["stack", "output", "hostKey"]);
      assert.equal(hostKey.stdout.trim(), sshd.hostKeyPublic);

      await stack.run(["up", "--yes", "--expect-no-changes"]);

      await sshd.stop();
      const connections = await connectionsDuring(sshd.port, () =>
        stack.run(["refresh", "--yes", "--expect-no-changes"]),
      );
      assert.equal(connections, 0, "refresh never probes");

      // A new timeout only changes how the next wait would run: an update, with sshd still down.
      await stack.run(["config", "set", "timeout", "90s"]);
      const updated = await stack.run(["up", "--yes"]);
      assert.match(updated.stdout, /1 updated/);

      // A new VM (triggers) is a new wait: a replacement.
      await sshd.start();
      await stack.run(["config", "set", "vmId", "vm-2"]);
      const diff = await stack.run(["preview", "--diff"]);
      assert.match(
        diff.stdout,
        /\+-pulumi-nodejs:dynamic\/ssh-readiness:SshReadiness: \(replace\)/,
      );
      const replaced = await stack.run(["up", "--yes"]);
      assert.match(replaced.stdout, /1 replaced/);

      const exported = await stack.run(["stack", "export"]);
      noSecret(exported.stdout, "pulumi stack export");
      const state = JSON.parse(exported.stdout) as {
        deployment: { resources: { type: string; inputs: Record<string, unknown> }[] };
      };
      const readiness = state.deployment.resources.find((r) => r.type.endsWith(":SshReadiness"))!;
      assert.deepEqual(Object.keys(readiness.inputs.__recorded as object).sort(), [
        "form",
        "keyFingerprint",
      ]);
      assert.deepEqual(readiness.inputs.__secretInputs, ["command", "passphrase", "privateKey"]);

      const destroyed = await stack.run(["destroy", "--yes"]);
      assert.match(destroyed.stdout, /2 deleted/);
    });
  },
);
