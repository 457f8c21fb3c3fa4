// `npm run demo`: the incident that started this project, reproduced and fixed on one machine. Two identical
// simulated fresh VMs boot on 127.0.0.1; the incident's `nc -z` loop waits for one, ssh-ready for the other,
// and each then takes the next step an Ansible run would: an SSH login that needs cloud-init done.
import { generateEd25519 } from "../components/keys/generation";
import { ProgressPrinter, waitForSsh, type SshReadyResult } from "../components/readiness";
import { CLASS_INFO } from "../components/readiness/classify";
import { formatDuration } from "../components/readiness/duration";
import { realVmDemo } from "./demo-real-vm";
import { nextStep } from "./next-step";
import { createVm, type SimulatedVm } from "./simulator";
import { portOpen } from "./simulator/tcp";

/** The boot, as on Azure with an agent that restarts sshd: ms from the start. */
const BOOT = {
  sshdUp: 4500, // sshd listens, the user's key not written yet
  keysWritten: 5200,
  restart: 5300, // sshd restarts with new host keys, port closed meanwhile
  restartGap: 2000,
  cloudInitDone: 12000,
};
/** The incident's loop: `nc -w 1 -z host 22`, then `sleep 5`. */
const NC_TIMEOUT_MS = 1000;
const NC_SLEEP_MS = 5000;
/** Time Ansible takes to start and make its first connection after the loop returns. */
const ANSIBLE_START_MS = 800;

const tty = process.stdout.isTTY === true;
const started = performance.now();
const elapsed = () => performance.now() - started;
const stamp = (ms = elapsed()) => `+${(Math.floor(ms / 100) / 10).toFixed(1)}s`.padStart(6);

let status = "";
function print(lane: string, text: string): void {
  if (tty && status) process.stdout.write("\r\x1b[2K");
  process.stdout.write(`${stamp()}  ${lane.padEnd(10)} ${text}\n`);
  if (tty && status) process.stdout.write(status);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const at = (ms: number) => sleep(Math.max(0, ms - elapsed()));

async function boot(vms: SimulatedVm[], userKey: string): Promise<void> {
  print(
    "vm",
    `port ${vms[0].port} closed: the VM is "provisioned", sshd not started (a TCP RST answers)`,
  );
  await at(BOOT.sshdUp);
  await Promise.all(vms.map((vm) => vm.startSshdWithoutKey()));
  print("vm", "sshd listening; the user's authorized_keys not written yet");
  await at(BOOT.keysWritten);
  for (const vm of vms) vm.writeKeys(userKey);
  print("vm", "cloud-init wrote authorized_keys");
  await at(BOOT.restart);
  print(
    "vm",
    `sshd restarting with new host keys (port closed for ${formatDuration(BOOT.restartGap)})`,
  );
  await Promise.all(vms.map((vm) => vm.restartWithNewHostKey(BOOT.restartGap)));
  print("vm", "sshd back; cloud-init still running (apt busy)");
  await at(BOOT.cloudInitDone);
  for (const vm of vms) vm.finishCloudInit(0);
  print("vm", "cloud-init done: the VM is really ready");
}

/** The incident's fix, as written: nc -z in a loop with sleep 5. Resolves when it declares ready. */
async function ncLoop(vm: SimulatedVm): Promise<number> {
  for (;;) {
    if (await portOpen(vm.port, NC_TIMEOUT_MS)) {
      print("nc loop", `nc -z: port ${vm.port} open → "OpenSSH is working"`);
      return elapsed();
    }
    print("nc loop", 'nc -z: Connection refused → "Waiting for OpenSSH service"; sleep 5');
    await sleep(NC_SLEEP_MS);
  }
}

async function main(): Promise<void> {
  const userKey = generateEd25519("demo-user");
  // SSH_READY_DEMO_SERVER=ssh2 plays the VMs with ssh2's server even where OpenSSH is installed.
  const prefer = process.env.SSH_READY_DEMO_SERVER === "ssh2" ? "ssh2" : "openssh";
  const [incidentVm, readyVm] = await Promise.all([createVm(prefer), createVm(prefer)]);
  const sshd =
    incidentVm.kind === "openssh"
      ? "OpenSSH's sshd"
      : "ssh2's in-process SSH server (no /usr/sbin/sshd here)";
  console.log(`Two identical fresh VMs boot on 127.0.0.1, played by ${sshd}.`);
  console.log(
    `The incident's loop waits for one (port ${incidentVm.port}), ssh-ready for the other (port ${readyVm.port});`,
  );
  console.log(
    "then each takes the next step, an SSH login as Ansible's first task, which needs cloud-init done.\n",
  );

  let incidentState = "waiting";
  let readyState = "waiting";
  const spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  let tick = 0;
  const redraw = tty
    ? setInterval(() => {
        status = `\x1b[2m${spinner[tick++ % spinner.length]} ${stamp().trim()}  nc loop: ${incidentState} · ssh-ready: ${readyState}\x1b[0m`;
        process.stdout.write(`\r\x1b[2K${status}`);
      }, 100)
    : undefined;

  try {
    const booting = boot([incidentVm, readyVm], userKey.publicKey);

    const incident = (async () => {
      const readyAt = await ncLoop(incidentVm);
      incidentState = "ready (it thinks)";
      await sleep(ANSIBLE_START_MS);
      print("nc loop", "next step: ansible-playbook → TASK [Gathering Facts]");
      const error = await nextStep(
        { host: "127.0.0.1", port: incidentVm.port, user: incidentVm.user },
        userKey.privateKey,
      );
      incidentState = error ? "next step FAILED" : "next step ok";
      print("nc loop", error ? `✗ fatal: UNREACHABLE! ${error}` : "✓ login ok");
      return { readyAt, error };
    })();

    const fixed = (async () => {
      const progress = new ProgressPrinter(
        (line) => print("ssh-ready", line.replace(/^\+[\d.]+s /, "")),
        {
          repeatEveryMs: 3000,
        },
      );
      const result: SshReadyResult = await waitForSsh({
        host: "127.0.0.1",
        port: readyVm.port,
        username: readyVm.user,
        privateKey: userKey.privateKey,
        level: "command",
        timeout: "60s",
        onAttempt: (event) => {
          if (event.outcome !== "ready") readyState = CLASS_INFO[event.outcome].label;
          progress.onAttempt(event);
        },
        onCommandStart: (event) => {
          readyState = "logged in, cloud-init running";
          progress.onCommandStart(event);
        },
      });
      const readyAt = elapsed();
      readyState = "ready";
      print("ssh-ready", "next step: ansible-playbook → TASK [Gathering Facts]");
      const error = await nextStep(
        { host: "127.0.0.1", port: readyVm.port, user: readyVm.user },
        userKey.privateKey,
        result.hostKey ? [result.hostKey] : undefined,
      );
      readyState = error ? "next step FAILED" : "next step ok";
      print(
        "ssh-ready",
        error
          ? `✗ ${error}`
          : `✓ login ok, host key ${result.hostKeyFingerprint} verified, cloud-init done`,
      );
      return { readyAt, error, result };
    })();

    const [a, b] = await Promise.all([incident, fixed, booting]);
    const trulyReady = readyVm.at["cloud-init-done"]! - started;
    if (redraw) clearInterval(redraw);
    if (tty) process.stdout.write("\r\x1b[2K");
    status = "";
    console.log("\nVerdict:");
    console.log(
      `  nc loop:   said ready at ${stamp(a.readyAt).trim()}, ${formatDuration(trulyReady - a.readyAt)} before the VM was; next step ${a.error ? `failed: ${a.error.replace(/^ssh: /, "")}` : "succeeded (by luck)"}.`,
    );
    console.log(
      `  ssh-ready: said ready at ${stamp(b.readyAt).trim()}, ${formatDuration(b.readyAt - trulyReady)} after the VM was; next step ${b.error ? `failed: ${b.error}` : "succeeded"}.`,
    );
    console.log(
      `  ssh-ready made ${b.result.attempts} classified attempts (fast while refused, ≥ 1 s apart once sshd answered): sshd saw ${readyVm.connections()} connections, the loop's ${incidentVm.connections()}.`,
    );
    process.exitCode = a.error && !b.error ? 0 : 1;
  } finally {
    if (redraw) clearInterval(redraw);
    await Promise.all([incidentVm.dispose(), readyVm.dispose()]);
  }
}

(process.argv.includes("--real-vm") ? realVmDemo() : main()).catch((error: unknown) => {
  console.error(`demo failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
});
