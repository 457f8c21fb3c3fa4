// The benchmark's reboot scenario (issue 26): a provisioning step has asked for a reboot (a delayed one, so the
// step itself ends cleanly), and the next step needs the machine back: on a new boot, whose start-up is done.
// Each waiter starts the moment the step that asked has returned, while the old boot still answers.
//
// Simulated: ssh2's in-process server plays the machine (OpenSSH's sshd cannot change the boot it runs on), each
// waiter on its own machine on the same random timeline. Real: a Debian VM under QEMU (tools/real-vm) after its
// first boot, rebooted once, every waiter racing on that one reboot (a reboot is about a minute here).
import { waitForSsh, type AttemptEvent } from "../../components/readiness";
import type { GeneratedKeyPair } from "../../components/keys/generation";
import type { RealVm } from "../real-vm/vm";
import { Ssh2Vm } from "../simulator/ssh2-vm";
import { sshRun } from "./race";

export type RebootWaiter =
  | `fixed sleep (${number} s)`
  | "1 s ssh loop + cloud-init wait"
  | "ansible reboot"
  | "ssh-ready --after-boot";

/** The reboot is asked for this long ahead, as the image stack's reboot step does (reboot-if-required.sh). */
export const REBOOT_DELAY_S = 5;
/**
 * The fixed sleep, tuned as a user tunes it: to the typical reboot on this machine, from the request to the new
 * boot's start-up done (simulated: 9.5–16.5 s; real: about a minute here). Too short about half the time.
 */
export const SIMULATED_SLEEP_S = 13;
export const REAL_SLEEP_S = 60;

export function rebootWaiters(sleepS: number): RebootWaiter[] {
  return [
    `fixed sleep (${sleepS} s)`,
    "1 s ssh loop + cloud-init wait",
    "ansible reboot",
    "ssh-ready --after-boot",
  ];
}

export interface RebootResult {
  waiter: RebootWaiter;
  /** ms from the new boot's start-up being done to the waiter's ready; negative: it said ready too early. */
  latencyMs: number;
  /** The next step (3 logins at +0/+1/+2 s needing a new boot whose start-up is done) failed at least once. */
  falseReady: boolean;
  /** Simulated only (each waiter has its own machine there): connections its sshd saw from the reboot request. */
  connections?: number;
  /** ssh-ready only: its attempts that reached the old boot ("still the previous boot"). */
  oldBootAttempts?: number;
  /** ms from the reboot request to the new boot's start-up being done. */
  rebootMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);
const BOOT_ID_READ = "cat /proc/sys/kernel/random/boot_id";

interface Target {
  host: string;
  port: number;
  user: string;
  key: string;
  hostKeyPin?: string[];
}

/**
 * Ansible's `reboot` module after its reboot command, as its action plugin does it: read the boot id (a login
 * running `cat /proc/sys/kernel/random/boot_id`) until it differs from the one read before, then run the test
 * command (`whoami`) until it succeeds; each failure sleeps 2^n s plus up to 1 s, at most 12 s plus up to 1 s.
 * It waits for nothing the boot's start-up does after sshd answers.
 */
async function ansibleReboot(t: Target, previous: string): Promise<void> {
  const untilSuccess = async (once: () => Promise<boolean>) => {
    for (let fails = 0; !(await once()); fails++)
      await sleep(1000 * (Math.min(2 ** fails, 12) + Math.random()));
  };
  await untilSuccess(async () => {
    const run = await sshRun(t.port, t.user, t.key, BOOT_ID_READ, t.host);
    const id = run.output.trim();
    return run.code === 0 && id !== "" && id !== previous;
  });
  await untilSuccess(
    async () => (await sshRun(t.port, t.user, t.key, "whoami", t.host)).code === 0,
  );
}

/** Runs the waiter until it says ready; ssh-ready returns its attempts that reached the old boot. */
async function runWaiter(
  waiter: RebootWaiter,
  t: Target,
  previous: string,
): Promise<number | undefined> {
  if (waiter.startsWith("fixed sleep")) {
    await sleep(1000 * Number(/\((\d+) s\)/.exec(waiter)![1]));
    return undefined;
  }
  switch (waiter) {
    case "1 s ssh loop + cloud-init wait":
      while ((await sshRun(t.port, t.user, t.key, "cloud-init status --wait", t.host)).code !== 0)
        await sleep(1000);
      return undefined;
    case "ansible reboot":
      await ansibleReboot(t, previous);
      return undefined;
    default: {
      const events: AttemptEvent[] = [];
      await waitForSsh({
        host: t.host,
        port: t.port,
        username: t.user,
        privateKey: t.key,
        hostKeyPin: t.hostKeyPin,
        level: "command",
        afterBoot: previous,
        timeout: "10m",
        onAttempt: (event) => events.push(event),
      });
      return events.filter((e) => e.outcome === "previous-boot").length;
    }
  }
}

/**
 * The step after the wait: three logins at +0/+1/+2 s, each needing another boot than `previous` and its
 * start-up done (`command` prints the boot id, then what tells the start-up is done).
 */
async function nextStep(
  t: Target,
  previous: string,
  command: string,
): Promise<{ failed: boolean; connections: number }> {
  const runs = await Promise.all(
    [0, 1000, 2000].map(async (delay) => {
      await sleep(delay);
      return sshRun(t.port, t.user, t.key, command, t.host);
    }),
  );
  const ok = (run: { code: number | null; output: string }) => {
    const [id, status] = run.output.trim().split("\n");
    return run.code === 0 && id !== previous && status === "status: done";
  };
  return {
    failed: !runs.every(ok),
    connections: runs.filter((run) => run.connected).length,
  };
}

/**
 * One simulated trial: every waiter against its own machine, all rebooting on the same random timeline: the old
 * boot answers for the reboot's delay and 0.5–1.5 s of shutdown after it, the port is closed 2–5 s, then the new
 * boot's cloud-init runs 2–5 s.
 */
export async function simulatedRebootTrial(userKey: GeneratedKeyPair): Promise<RebootResult[]> {
  const upMs = REBOOT_DELAY_S * 1000 + between(500, 1500);
  const downMs = between(2000, 5000);
  const cloudInitMs = between(2000, 5000);
  const waiters = rebootWaiters(SIMULATED_SLEEP_S);
  const vms = await Promise.all(waiters.map(() => Ssh2Vm.create()));
  try {
    for (const vm of vms) {
      await vm.startSshdWithoutKey();
      vm.writeKeys(userKey.publicKey);
      vm.finishCloudInit(0);
    }
    const requestedAt = performance.now();
    const rebooted = vms.map(async (vm) => {
      await sleep(upMs);
      await vm.shutDown();
      await sleep(downMs);
      await vm.bootAgain();
      await sleep(cloudInitMs);
      vm.finishCloudInit(0);
      return performance.now();
    });
    const waits = waiters.map(async (waiter, i) => {
      const vm = vms[i];
      const t = { host: "127.0.0.1", port: vm.port, user: vm.user, key: userKey.privateKey };
      const previous = vm.bootId;
      const before = vm.connections();
      const oldBootAttempts = await runWaiter(waiter, t, previous);
      const readyAt = performance.now();
      const next = await nextStep(t, previous, `${BOOT_ID_READ}; cloud-init status`);
      return {
        readyAt,
        falseReady: next.failed,
        connections: vm.connections() - before - next.connections,
        oldBootAttempts,
      };
    });
    const [doneAt, outcomes] = await Promise.all([Promise.all(rebooted), Promise.all(waits)]);
    return outcomes.map((o, i) => ({
      waiter: waiters[i],
      latencyMs: Math.round(o.readyAt - doneAt[i]),
      falseReady: o.falseReady,
      connections: o.connections,
      oldBootAttempts: o.oldBootAttempts,
      rebootMs: Math.round(doneAt[i] - requestedAt),
    }));
  } finally {
    await Promise.all(vms.map((vm) => vm.dispose()));
  }
}

/**
 * One real trial, on a VM whose first boot is done (`previous`: its boot id): a login asks for a reboot in 5 s
 * (`systemd-run --on-active=5 systemctl reboot`, as the image stack's reboot step does), and when it has returned
 * every waiter starts. The new boot's start-up is done when cloud-init's final line reaches the console a second
 * time; the next step also needs `boot-finished`, which cloud-init writes again at the end of every boot.
 */
export async function realRebootTrial(
  vm: RealVm,
  previous: string,
  userKey: GeneratedKeyPair,
  pins: string[],
  user: string,
): Promise<RebootResult[]> {
  const t = { host: vm.address, port: 22, user, key: userKey.privateKey, hostKeyPin: pins };
  const asked = await sshRun(
    22,
    user,
    t.key,
    `sudo -n systemd-run --on-active=${REBOOT_DELAY_S} systemctl reboot`,
    t.host,
  );
  if (asked.code !== 0) throw new Error(`the reboot could not be asked for (exit ${asked.code})`);
  const requestedAt = performance.now();
  const doneAt = vm.cloudInitFinishes(2);
  const waiters = rebootWaiters(REAL_SLEEP_S);
  const outcomes = await Promise.all(
    waiters.map(async (waiter) => {
      const oldBootAttempts = await runWaiter(waiter, t, previous);
      const readyAt = performance.now();
      const next = await nextStep(
        t,
        previous,
        `${BOOT_ID_READ}; cloud-init status && test -f /var/lib/cloud/instance/boot-finished`,
      );
      return { readyAt, falseReady: next.failed, oldBootAttempts };
    }),
  );
  const done = await doneAt;
  return outcomes.map((o, i) => ({
    waiter: waiters[i],
    latencyMs: Math.round(o.readyAt - done),
    falseReady: o.falseReady,
    oldBootAttempts: o.oldBootAttempts,
    rebootMs: Math.round(done - requestedAt),
  }));
}
