// Live acceptance test, for people with the Pulumi CLI and an Azure subscription (`npm run test:acceptance`):
// brings the `dev` stack up in its own resource group, checks the readiness outputs and runs a command over
// SSH with the pinned host key, then destroys everything. Not part of `npm test`: CI has no Azure.
// It needs: `pulumi` on PATH, Azure credentials the azure-native provider can use (`az login`, or ARM_*
// variables), and ACCEPTANCE_SOURCE_CIDR, the address this machine reaches Azure from ("203.0.113.4/32").
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";

const root = resolve(__dirname, "../../..");

function missing(): string[] {
  const gaps: string[] = [];
  if (spawnSync("pulumi", ["version"], { stdio: "ignore" }).status !== 0)
    gaps.push("the Pulumi CLI (pulumi)");
  if (!process.env.ACCEPTANCE_SOURCE_CIDR)
    gaps.push("ACCEPTANCE_SOURCE_CIDR (this machine's public address, /32)");
  const azLoggedIn = spawnSync("az", ["account", "show"], { stdio: "ignore" }).status === 0;
  if (!azLoggedIn && !process.env.ARM_SUBSCRIPTION_ID)
    gaps.push("Azure credentials (az login, or ARM_* variables)");
  return gaps;
}

async function main(): Promise<void> {
  const gaps = missing();
  if (gaps.length > 0) {
    console.log(`acceptance test SKIPPED: it needs ${gaps.join(", ")}. Nothing was created.`);
    return;
  }
  // A throwaway backend and stack: nothing touches the user's own stacks.
  const state = mkdtempSync(join(tmpdir(), "vm-ready-acceptance-"));
  const stackName = `acceptance-${Date.now().toString(36)}`;
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName, workDir: root },
    {
      envVars: {
        PULUMI_BACKEND_URL: `file://${state}`,
        PULUMI_CONFIG_PASSPHRASE: `acceptance-${Math.random()}`,
      },
    },
  );
  try {
    await stack.setConfig("program", { value: "dev" });
    await stack.setConfig("location", { value: process.env.ACCEPTANCE_LOCATION ?? "westeurope" });
    await stack.setConfig(
      "allowedSshSourceCidrs[0]",
      { value: process.env.ACCEPTANCE_SOURCE_CIDR! },
      true,
    );
    const up = await stack.up({ onOutput: (line) => process.stdout.write(line) });
    const outputs = up.outputs;
    const host = outputs.sshHost.value as string;
    const knownHostsLine = outputs.knownHostsLine.value as string;
    const connection = outputs.connection.value as {
      user: string;
      privateKey: string;
      hostKey: string;
    };
    if (!knownHostsLine.startsWith(`${host} ssh-ed25519 `))
      throw new Error(`unexpected known_hosts line: ${knownHostsLine}`);
    if (!outputs.connection.secret) throw new Error("the connection output is not secret");

    // A login with OpenSSH's own client, host key checking strict, against the line the stack exported.
    const files = mkdtempSync(join(tmpdir(), "vm-ready-ssh-"));
    writeFileSync(join(files, "known_hosts"), `${knownHostsLine}\n`);
    writeFileSync(join(files, "key"), connection.privateKey, { mode: 0o600 });
    const status = execFileSync(
      "ssh",
      [
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        `UserKnownHostsFile=${join(files, "known_hosts")}`,
        "-i",
        join(files, "key"),
        `${connection.user}@${host}`,
        "cloud-init status",
      ],
      { encoding: "utf8" },
    );
    rmSync(files, { recursive: true, force: true });
    if (!/status: done/.test(status))
      throw new Error(`cloud-init is not done on the VM: ${status}`);
    console.log(`acceptance test PASSED: ${host} ready, host key verified, cloud-init done`);
  } finally {
    await stack.destroy({ onOutput: (line) => process.stdout.write(line) });
    await stack.workspace.removeStack(stackName);
    rmSync(join(root, "stacks", `Pulumi.${stackName}.yaml`), { force: true });
    rmSync(state, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`acceptance test FAILED: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
});
