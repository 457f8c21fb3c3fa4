// Live acceptance test, for people with the Pulumi CLI and an Azure subscription (`npm run test:acceptance`):
// brings the `dev` stack up in its own resource group, checks the readiness outputs, runs a command over SSH
// with the pinned host key and asks Azure whether the VM agent is Ready; then changes the custom data, the
// subnet's range and the OS disk's size, each in one `pulumi up`, and checks the same of each replacement VM;
// then trusts the VM's console for its host keys (hostKeyTrust "console"), and makes cloud-init fail, to see the
// console's lines in the error; then destroys everything (the NIC 190 s after its VM). Not part of `npm test`: CI
// has no Azure. The console is read from boot diagnostics with `@azure/identity`, an optional dependency:
// `npm install --no-save @azure/identity` first.
// It needs: `pulumi` on PATH, the Azure CLI logged in (`az login`: the azure-native provider's credentials and
// the VM agent's status), and ACCEPTANCE_SOURCE_CIDR, the address this machine reaches Azure from
// ("203.0.113.4/32").
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { withThrowawayStack } from "./throwaway-stack";

interface Checked {
  host: string;
  vmId: string;
  hostKey: string;
}

/** `pulumi up`, then what a user relies on: the pinned key, a strict OpenSSH login, cloud-init done, agent Ready. */
async function upAndCheck(stack: Stack): Promise<Checked> {
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
  const login = spawnSync(
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
      "cloud-init status --long",
    ],
    { encoding: "utf8" },
  );
  rmSync(files, { recursive: true, force: true });
  // 0 is done; 2 is done with recoverable errors (cloud-init ≥ 23.4): the component's own part must cause none.
  if (login.status !== 0 || !/status: done/.test(login.stdout))
    throw new Error(
      `cloud-init is not cleanly done on the VM (exit ${login.status}): ${login.stdout}${login.stderr}`,
    );

  // The Azure VM agent found its RSA host key and reported the VM provisioned.
  const agent = execFileSync(
    "az",
    [
      "vm",
      "get-instance-view",
      "--ids",
      outputs.vmResourceId.value as string,
      "--query",
      "instanceView.vmAgent.statuses[0].displayStatus",
      "-o",
      "tsv",
    ],
    { encoding: "utf8" },
  ).trim();
  if (agent !== "Ready") throw new Error(`the VM agent is not Ready: ${agent}`);
  return {
    host,
    vmId: outputs.vmId.value as string,
    hostKey: knownHostsLine.split(" ").slice(1).join(" "),
  };
}

void withThrowawayStack("dev stack", "dev", async (stack) => {
  const first = await upAndCheck(stack);

  // The second `pulumi up` that used to fail: new custom data cannot be sent to an existing VM, so the VM is
  // replaced (the old one deleted first, for its NIC), waited for again, and still pinned to its keys.
  await stack.setConfig("customData", {
    value:
      "#cloud-config\nwrite_files:\n  - path: /etc/vm-with-ready-ssh-acceptance\n    content: second\n",
  });
  const second = await upAndCheck(stack);
  if (second.vmId === first.vmId) throw new Error("new custom data did not replace the VM");
  if (second.hostKey !== first.hostKey)
    throw new Error(
      `the replaced VM presents another host key: ${second.hostKey} (was ${first.hostKey})`,
    );

  // A new subnet range: a new subnet, the NIC and the VM replaced in one `pulumi up` (the NIC deleted only
  // after Azure's reservation), the pin kept.
  await stack.setConfig("subnetAddressPrefix", { value: "10.0.1.0/24" });
  const third = await upAndCheck(stack);
  if (third.vmId === second.vmId) throw new Error("a new subnet did not replace the VM");
  if (third.hostKey !== first.hostKey)
    throw new Error("the VM in the new subnet has another host key");

  // A bigger OS disk: Azure resizes an OS disk only on a deallocated VM, so the VM is replaced.
  await stack.setConfig("osDiskSizeGb", { value: "64" });
  const fourth = await upAndCheck(stack);
  if (fourth.vmId === third.vmId) throw new Error("a new disk size did not replace the VM");
  // The console as the trust: a new VM with no injected keys, its keys read from its boot diagnostics.
  await stack.setConfig("hostKeyTrust", { value: "console" });
  const fifth = await upAndCheck(stack);
  if (fifth.hostKey === first.hostKey)
    throw new Error("the console-trusted VM has the generated key");

  // A give-up: cloud-init fails, and the error carries the console's lines that say why.
  await stack.setConfig("customData", {
    value: "#cloud-config\nruncmd:\n  - [sh, -c, 'echo acceptance step failed >&2; exit 1']\n",
  });
  const failed = await stack.up({ onOutput: (line) => process.stdout.write(line) }).then(
    () => undefined,
    (error: unknown) => String(error),
  );
  if (!failed) throw new Error("a failing cloud-init did not fail the up");
  if (
    !/The VM's console \(boot diagnostics of \/subscriptions\//.test(failed) ||
    !/scripts-user/.test(failed)
  )
    throw new Error(`the error does not carry the console's lines:\n${failed}`);
  return `${fourth.host} ready, host key verified, cloud-init done, VM agent ready; replaced for custom data, subnet and disk (${first.vmId} → ${second.vmId} → ${third.vmId} → ${fourth.vmId}) under the same pin; then trusted by its console (${fifth.vmId}), and a failed cloud-init shown with the console's lines`;
});
