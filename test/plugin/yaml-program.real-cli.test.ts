// A Pulumi YAML program that uses the provider plugin, run by the real Pulumi CLI and the real YAML language
// host (both built from source by tools/pulumi-cli/build.sh), against real OpenSSH that starts late.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { OpenSshServer, freePort } from "../../tools/simulator/openssh";
import { ed25519 } from "../support/keys";
import { opensshSkipReason } from "../support/openssh";
import { lateSshdLifecycle, PulumiStack, pulumiCliSkipReason } from "../support/pulumi-cli";

const user = ed25519();

const program = (plugins: string) => `name: yaml-ready
runtime: yaml
${plugins}config:
  port:
    type: integer
  user:
    type: string
  sshPrivateKey:
    type: string
    secret: true
resources:
  ready:
    type: vm-with-ready-ssh:index:SshReadiness
    properties:
      host: 127.0.0.1
      port: \${port}
      username: \${user}
      privateKey: \${sshPrivateKey}
      level: auth
      timeout: 60s
outputs:
  hostKey: \${ready.hostKey}
`;

describe(
  "a YAML program with SshReadiness, under the real Pulumi CLI",
  { skip: opensshSkipReason() || pulumiCliSkipReason() },
  () => {
    let dir: string;
    let stack: PulumiStack;
    let sshd: OpenSshServer;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "ssh-ready-yaml-"));
      sshd = new OpenSshServer();
      sshd.authorize(user.public);
      sshd.port = await freePort();
      stack = new PulumiStack(dir);
      writeFileSync(join(dir, "Pulumi.yaml"), program(stack.pluginFromSource()));
      await stack.init();
      await stack.run(["config", "set", "port", String(sshd.port)]);
      await stack.run(["config", "set", "user", sshd.user]);
      await stack.run(["config", "set", "--secret", "sshPrivateKey"], user.private);
    });
    after(async () => {
      stack?.dispose();
      rmSync(dir, { recursive: true, force: true });
      await sshd?.dispose();
    });

    it("waits for a late sshd, exports its host key, changes nothing on the second up, and destroys", async () => {
      await lateSshdLifecycle(stack, sshd, user.private, "ready");
    });
  },
);
