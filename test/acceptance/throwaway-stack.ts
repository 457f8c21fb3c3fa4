// What the live acceptance tests share: what they need (the Pulumi CLI, the Azure CLI logged in, the address
// this machine reaches Azure from), and a throwaway stack on a throwaway local backend, destroyed afterwards,
// so nothing touches the user's own stacks.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";

const root = resolve(__dirname, "../../..");

/** What is missing to run against Azure, as phrases; empty when everything is there. */
export function missing(): string[] {
  const gaps: string[] = [];
  if (spawnSync("pulumi", ["version"], { stdio: "ignore" }).status !== 0)
    gaps.push("the Pulumi CLI (pulumi)");
  if (!process.env.ACCEPTANCE_SOURCE_CIDR)
    gaps.push("ACCEPTANCE_SOURCE_CIDR (this machine's public address, /32)");
  const azLoggedIn = spawnSync("az", ["account", "show"], { stdio: "ignore" }).status === 0;
  if (!azLoggedIn) gaps.push("the Azure CLI, logged in (az login)");
  return gaps;
}

/**
 * Runs `test` on a new stack of `program`, with the location and the allowed source set; destroys and removes
 * the stack afterwards, whatever happened. Prints SKIPPED and creates nothing when something is missing.
 */
export async function withThrowawayStack(
  name: string,
  program: "dev" | "image",
  test: (stack: Stack) => Promise<string>,
): Promise<void> {
  const gaps = missing();
  if (gaps.length > 0) {
    console.log(
      `${name} acceptance test SKIPPED: it needs ${gaps.join(", ")}. Nothing was created.`,
    );
    return;
  }
  const state = mkdtempSync(join(tmpdir(), "vm-ready-acceptance-"));
  const stackName = `acceptance-${program}-${Date.now().toString(36)}`;
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
    await stack.setConfig("program", { value: program });
    await stack.setConfig("location", { value: process.env.ACCEPTANCE_LOCATION ?? "westeurope" });
    await stack.setConfig(
      "allowedSshSourceCidrs[0]",
      { value: process.env.ACCEPTANCE_SOURCE_CIDR! },
      true,
    );
    console.log(`${name} acceptance test PASSED: ${await test(stack)}`);
  } catch (error) {
    console.error(`${name} acceptance test FAILED: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  } finally {
    await stack.destroy({ onOutput: (line) => process.stdout.write(line) });
    await stack.workspace.removeStack(stackName);
    rmSync(join(root, "stacks", `Pulumi.${stackName}.yaml`), { force: true });
    rmSync(state, { recursive: true, force: true });
  }
}
