// `npm run demo -- --real-vm`: the incident on real VMs. Two identical fresh Debian VMs (systemd, sshd,
// cloud-init) boot under QEMU with the same custom data (the Azure component's pinned host keys); the
// incident's `nc -z` loop waits for one, ssh-ready for the other, and each then takes the next step: a login
// that needs cloud-init done.
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { vmUserData, type HostKeys } from "../components/azure/cloud-init";
import { generateEd25519, generateKeyPair, KEY_TYPES } from "../components/keys/generation";
import { ProgressPrinter, waitForSsh } from "../components/readiness";
import { formatDuration } from "../components/readiness/duration";
import { nextStep } from "./next-step";
import { portOpen } from "./simulator/tcp";
import { imageDir, RealVm, realVmSkipReason } from "./real-vm/vm";

const started = performance.now();
const elapsed = () => performance.now() - started;
const stamp = (ms = elapsed()) => `+${(Math.floor(ms / 100) / 10).toFixed(1)}s`.padStart(7);
const print = (lane: string, text: string) =>
  process.stdout.write(`${stamp()}  ${lane.padEnd(10)} ${text}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Prints the boot's milestones as the VM's serial console shows them. */
async function narrate(name: string, vm: RealVm, stop: () => boolean): Promise<void> {
  const milestones: [RegExp, string][] = [
    [/Started ssh\.service/, "sshd started (cloud-init's network and config stages still to come)"],
    [/running 'modules:config'/, "cloud-init: config stage (users, keys)"],
    [/running 'modules:final'/, "cloud-init: final stage"],
    [/Cloud-init v\. \S+ finished at/, "cloud-init finished: the VM is really ready"],
  ];
  let next = 0;
  while (next < milestones.length && !stop()) {
    // systemd colours its status lines: the escapes go before matching.
    if (milestones[next][0].test(stripVTControlCharacters(vm.console())))
      print(name, milestones[next++][1]);
    else await sleep(100);
  }
}

export async function realVmDemo(): Promise<void> {
  if (!imageDir() && process.getuid?.() === 0) {
    console.log(
      "Building the VM image first (once: debootstrap from Debian's mirror, about 2 minutes).\n",
    );
    execFileSync("bash", [resolve(__dirname, "../../tools/real-vm/build-image.sh")], {
      stdio: "inherit",
    });
  }
  if (realVmSkipReason()) {
    process.exitCode = 1;
    return;
  }
  const user = generateEd25519("demo-user");
  const hostKeys = Object.fromEntries(
    KEY_TYPES.map((type) => [type, generateKeyPair(type, "demo-vm")]),
  ) as unknown as HostKeys;
  const pins = KEY_TYPES.map((type) => hostKeys[type].publicKey);
  const seed = {
    userData: vmUserData(undefined, hostKeys)!,
    adminUsername: "demo",
    adminPublicKey: user.publicKey,
  };
  console.log(
    "Two identical fresh Debian VMs boot under QEMU: real systemd, sshd and cloud-init, with the custom",
  );
  console.log(
    "data the Azure component writes (pinned host keys). Emulated, a boot takes about a minute.",
  );
  const [incidentVm, readyVm] = await Promise.all([RealVm.boot({ seed }), RealVm.boot({ seed })]);
  let over = false;
  try {
    console.log(
      `The incident's loop waits for ${incidentVm.address}, ssh-ready for ${readyVm.address}; then each`,
    );
    console.log(
      "takes the next step, an SSH login as Ansible's first task, which needs cloud-init done.\n",
    );
    void narrate("vm", readyVm, () => over);

    const incident = (async () => {
      for (;;) {
        if (await portOpen(22, 1000, incidentVm.address)) break;
        print("nc loop", 'nc -z: no answer → "Waiting for OpenSSH service"; sleep 5');
        await sleep(5000);
      }
      const readyAt = elapsed();
      print("nc loop", 'nc -z: port 22 open → "OpenSSH is working"; next step');
      const error = await nextStep(
        { host: incidentVm.address, port: 22, user: "demo" },
        user.privateKey,
      );
      print("nc loop", error ? `✗ ${error}` : "✓ login ok, cloud-init done");
      return { readyAt, error };
    })();

    const fixed = (async () => {
      const progress = new ProgressPrinter(
        (line) => print("ssh-ready", line.replace(/^\+[\d.]+s /, "")),
        {
          repeatEveryMs: 10_000,
        },
      );
      const result = await waitForSsh({
        host: readyVm.address,
        username: "demo",
        privateKey: user.privateKey,
        hostKeyPin: pins,
        level: "command",
        timeout: "10m",
        // Were the boot to go wrong, the give-up would show the console's lines that say why.
        serialLog: readyVm.serialLog,
        onAttempt: (event) => progress.onAttempt(event),
        onCommandStart: (event) => progress.onCommandStart(event),
      });
      const readyAt = elapsed();
      const error = await nextStep(
        { host: readyVm.address, port: 22, user: "demo" },
        user.privateKey,
        pins,
      );
      print(
        "ssh-ready",
        error
          ? `✗ ${error}`
          : `✓ login ok, host key ${result.hostKeyFingerprint} verified, cloud-init done`,
      );
      return { readyAt, error, result };
    })();

    const [a, b] = await Promise.all([incident, fixed]);
    const incidentDone = (await incidentVm.cloudInitFinished) - started;
    const readyDone = (await readyVm.cloudInitFinished) - started;
    const when = (ms: number) =>
      ms < 0 ? `${formatDuration(-ms)} before` : `${formatDuration(ms)} after`;
    console.log("\nVerdict:");
    console.log(
      `  nc loop:   said ready ${when(a.readyAt - incidentDone)} cloud-init finished; next step ${a.error ? `failed: ${a.error}` : "succeeded"}.`,
    );
    console.log(
      `  ssh-ready: said ready ${when(b.readyAt - readyDone)} cloud-init finished; next step ${b.error ? `failed: ${b.error}` : "succeeded"}, after ${b.result.attempts} classified attempts.`,
    );
    process.exitCode = b.error ? 1 : 0;
  } finally {
    over = true;
    await Promise.all([incidentVm.dispose(), readyVm.dispose()]);
  }
}
