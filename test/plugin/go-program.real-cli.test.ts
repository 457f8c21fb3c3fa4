// The Go example of docs/other-languages.md, read from the page, run as a Pulumi Go program by the real Pulumi
// CLI and the real Go language host (both built from source by tools/pulumi-cli/build.sh), with the Go SDK that
// Pulumi's own Go generator makes from the plugin's schema, against real OpenSSH that starts late.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { GO } from "../../tools/schema/build";
import { OpenSshServer, freePort } from "../../tools/simulator/openssh";
import { REPO } from "../support/consumer";
import { codeBlocks } from "../support/doc-examples";
import { ed25519 } from "../support/keys";
import { opensshSkipReason } from "../support/openssh";
import {
  lateSshdLifecycle,
  PulumiStack,
  pulumiCliBin,
  pulumiCliSkipReason,
} from "../support/pulumi-cli";

const run = promisify(execFile);
const user = ed25519();
/** The Pulumi Go SDK the CLI was built with (tools/pulumi-cli/cli/go.mod), so no other version is fetched. */
const GO_SDK = "github.com/pulumi/pulumi/sdk/v3 v3.276.0";

function goExample(): string {
  const [block, ...more] = codeBlocks("docs/other-languages.md").filter((b) => b.lang === "go");
  assert.ok(block && more.length === 0, "docs/other-languages.md has one Go example");
  return block.code;
}

describe(
  "the docs' Go program with SshReadiness, under the real Pulumi CLI",
  { skip: opensshSkipReason() || pulumiCliSkipReason() },
  () => {
    let dir: string;
    let stack: PulumiStack;
    let sshd: OpenSshServer;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "ssh-ready-go-"));
      // The SDK: Pulumi's Go generator on the schema the build wrote, as a local module.
      const sdk = join(dir, "sdk");
      await run(join(pulumiCliBin(), "gen-go-sdk"), [
        join(REPO, "dist/components/plugin/schema.json"),
        sdk,
      ]);
      const sdkModule = join(sdk, "vmwithreadyssh");
      writeFileSync(
        join(sdkModule, "go.mod"),
        `module ${GO.importBasePath}\n\ngo 1.26\n\nrequire ${GO_SDK}\n`,
      );
      // The program: the page's example, with a go.mod that points at the SDK, as `pulumi package add` makes it.
      const program = join(dir, "program");
      mkdirSync(program);
      writeFileSync(join(program, "main.go"), goExample());
      writeFileSync(
        join(program, "go.mod"),
        `module goready\n\ngo 1.26\n\nrequire (\n\t${GO.importBasePath} v0.0.0\n\t${GO_SDK}\n)\n\n` +
          `replace ${GO.importBasePath} => ${sdkModule}\n`,
      );
      for (const module of [sdkModule, program]) await run("go", ["mod", "tidy"], { cwd: module });
      // Compiled once here, so that the first `pulumi up` (the Go language host builds the program) is not a
      // cold build of Pulumi's Go SDK (about a minute on 2 cores).
      await run("go", ["build", "-o", join(dir, "warm-up"), "."], { cwd: program });

      sshd = new OpenSshServer();
      sshd.authorize(user.public);
      sshd.port = await freePort();
      stack = new PulumiStack(program);
      writeFileSync(
        join(program, "Pulumi.yaml"),
        `name: go-ready\nruntime: go\n${stack.pluginFromSource()}`,
      );
      await stack.init();
      await stack.run(["config", "set", "host", "127.0.0.1"]);
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
      await lateSshdLifecycle(stack, sshd, user.private, "server");
    });
  },
);
