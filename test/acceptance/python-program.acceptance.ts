// Live acceptance test of the provider plugin, for people with the Pulumi CLI, Python 3 (with venv) and an
// Azure subscription (`npm run test:acceptance`): makes a Python program of the Python example in
// docs/other-languages.md (read from the Markdown), generates its SDK with `pulumi package add <repo>/provider`,
// runs `pulumi up` (the example's remote.Command runs only once SSH is ready, against the verified host key),
// checks the outputs and that the state holds no private key in plaintext, then destroys everything.
// It needs what the dev stack's test needs (throwaway-stack.ts) and `python3 -m venv`.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { codeBlocks } from "../support/doc-examples";
import { missing } from "./throwaway-stack";

const root = resolve(__dirname, "../../..");

async function main(): Promise<void> {
  const gaps = missing();
  if (spawnSync("python3", ["-m", "venv", "--help"], { stdio: "ignore" }).status !== 0)
    gaps.push("Python 3 with venv (python3 -m venv)");
  if (gaps.length > 0) {
    console.log(
      `Python program acceptance test SKIPPED: it needs ${gaps.join(", ")}. Nothing was created.`,
    );
    return;
  }
  const example = codeBlocks("docs/other-languages.md").find((b) => b.lang === "python");
  if (!example) throw new Error("docs/other-languages.md has no Python example");
  const project = mkdtempSync(join(tmpdir(), "vm-ready-python-"));
  const state = mkdtempSync(join(tmpdir(), "vm-ready-acceptance-"));
  const envVars = {
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: `acceptance-${Math.random()}`,
  };
  writeFileSync(
    join(project, "Pulumi.yaml"),
    "name: vm-ready-python\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: venv\n",
  );
  writeFileSync(
    join(project, "requirements.txt"),
    "pulumi>=3.0.0,<4.0.0\npulumi-command>=1.0.0,<2.0.0\n",
  );
  writeFileSync(
    join(project, "__main__.py"),
    example.code
      .replace('"203.0.113.4/32"', JSON.stringify(process.env.ACCEPTANCE_SOURCE_CIDR))
      .replace('"westeurope"', JSON.stringify(process.env.ACCEPTANCE_LOCATION ?? "westeurope")),
  );
  const pulumi = (args: string[]) =>
    execFileSync("pulumi", args, {
      cwd: project,
      env: { ...process.env, ...envVars },
      stdio: "inherit",
    });
  const stackName = `acceptance-python-${Date.now().toString(36)}`;
  pulumi(["package", "add", join(root, "provider")]);
  pulumi(["install"]);
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName, workDir: project },
    { envVars },
  );
  try {
    const up = await stack.up({ onOutput: (line) => process.stdout.write(line) });
    const host = up.outputs.sshHost.value as string;
    const knownHostsLine = up.outputs.knownHostsLine.value as string;
    if (!knownHostsLine.startsWith(`${host} ssh-ed25519 `))
      throw new Error(`unexpected known_hosts line: ${knownHostsLine}`);
    const deployment = JSON.stringify(await stack.exportStack());
    if (deployment.includes("PRIVATE KEY-----"))
      throw new Error("the state holds a private key in plaintext");
    console.log(
      `Python program acceptance test PASSED: ${host} ready, the provision command ran against ${knownHostsLine.split(" ")[1]}`,
    );
  } catch (error) {
    console.error(
      `Python program acceptance test FAILED: ${(error as Error).stack ?? String(error)}`,
    );
    process.exitCode = 1;
  } finally {
    await stack.destroy({ onOutput: (line) => process.stdout.write(line) });
    await stack.workspace.removeStack(stackName);
    rmSync(project, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  }
}

void main();
