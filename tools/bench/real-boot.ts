// The benchmark's real-boot scenario: each waiter against its own fresh boot of the same Debian image under
// QEMU (tools/real-vm), with the Azure component's custom data. "Truly ready" is the moment cloud-init's final
// line reached the serial console; the next step is three logins at +0/+1/+2 s that need cloud-init done.
import { systemClock } from "../../components/readiness/clock";
import { Deadline } from "../../components/readiness/deadline";
import { vmUserData, type HostKeys } from "../../components/azure/cloud-init";
import {
  generateKeyPair,
  KEY_TYPES,
  type GeneratedKeyPair,
} from "../../components/keys/generation";
import { waitForSsh } from "../../components/readiness";
import { runAttempt } from "../../components/readiness/attempt";
import { resolveOptions } from "../../components/readiness/resolve";
import { RealVm } from "../real-vm/vm";
import { portOpen } from "../simulator/tcp";
import { sshRun } from "./race";

export type RealWaiter =
  | "nc loop (5 s)"
  | "1 s ssh loop + cloud-init wait"
  | "ansible wait_for_connection"
  | "ssh-ready auth"
  | "ssh-ready command";
export const REAL_WAITERS: RealWaiter[] = [
  "nc loop (5 s)",
  "1 s ssh loop + cloud-init wait",
  "ansible wait_for_connection",
  "ssh-ready auth",
  "ssh-ready command",
];

export interface RealBootResult {
  waiter: RealWaiter;
  /** Seconds from QEMU's start to cloud-init's final line: how long this boot took. */
  bootS: number;
  /** ms from cloud-init's final line to the waiter's ready; negative: it said ready too early. */
  latencyMs: number;
  /** The next step (3 logins at +0/+1/+2 s needing cloud-init done) failed at least once. */
  falseReady: boolean;
  /** Connections the VM's sshd accepted before the waiter said ready. */
  connections: number;
  /** ssh-ready command only: one login to the VM after the next step, as its confirming login makes it. */
  loginMs?: number;
  /**
   * The hand loop only: one such login the moment it said ready, before its next step. The guest is still busy
   * in the second after cloud-init's final line: this is what ssh-ready's confirming login costs at that time.
   */
  loginAtReadyMs?: number;
}

/** The admin user of the bench VMs. */
export const REAL_USER = "bench";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The custom data the component would write, with host keys made once for the whole run. */
export function benchUserData(): { userData: string; pins: string[] } {
  const hostKeys = Object.fromEntries(
    KEY_TYPES.map((type) => [type, generateKeyPair(type, "bench-vm")]),
  ) as unknown as HostKeys;
  return {
    userData: vmUserData(undefined, hostKeys)!,
    pins: KEY_TYPES.map((type) => hostKeys[type].publicKey),
  };
}

/** Runs the waiter until it says ready; ssh-ready at level command gives the boot id it was ready on. */
async function runWaiter(
  waiter: RealWaiter,
  vm: RealVm,
  key: string,
  pins: string[],
): Promise<string | undefined> {
  const host = vm.address;
  switch (waiter) {
    case "nc loop (5 s)":
      while (!(await portOpen(22, 1000, host))) await sleep(5000);
      return;
    case "1 s ssh loop + cloud-init wait":
      while ((await sshRun(22, REAL_USER, key, "cloud-init status --wait", host)).code !== 0)
        await sleep(1000);
      return;
    case "ansible wait_for_connection":
      // Its model: the ping module (a login running the remote Python) every 1 s, connect_timeout 5 s.
      while (
        (await sshRun(22, REAL_USER, key, "python3 -c 'print(\"pong\")'", host, 5000)).code !== 0
      )
        await sleep(1000);
      return;
    case "ssh-ready auth":
    case "ssh-ready command": {
      const result = await waitForSsh({
        host,
        username: REAL_USER,
        privateKey: key,
        hostKeyPin: pins,
        level: waiter === "ssh-ready auth" ? "auth" : "command",
        timeout: "10m",
      });
      return result.bootId;
    }
  }
}

async function loginMs(vm: RealVm, key: string, pins: string[]): Promise<number> {
  const opts = resolveOptions({
    host: vm.address,
    username: REAL_USER,
    privateKey: key,
    hostKeyPin: pins,
    level: "auth",
  });
  const started = performance.now();
  const outcome = await runAttempt(opts, {
    deadline: new Deadline(systemClock, 30_000),
    loginOnly: true,
  });
  if (!outcome.ok) throw new Error(`the login to measure failed: ${outcome.detail}`);
  return performance.now() - started;
}

/**
 * One waiter on one fresh boot. `then`, given the VM and the boot id ssh-ready (level command) was ready on, runs
 * on it once this trial is measured, before the VM goes (the reboot scenario uses it: one boot fewer).
 */
export async function realBootTrial(
  waiter: RealWaiter,
  userKey: GeneratedKeyPair,
  data: { userData: string; pins: string[] },
  then?: (vm: RealVm, bootId: string) => Promise<void>,
): Promise<RealBootResult> {
  const vm = await RealVm.boot({
    seed: { userData: data.userData, adminUsername: REAL_USER, adminPublicKey: userKey.publicKey },
    reboots: then !== undefined,
  });
  try {
    const bootId = await runWaiter(waiter, vm, userKey.privateKey, data.pins);
    const readyAt = performance.now();
    const atReady =
      waiter === "1 s ssh loop + cloud-init wait"
        ? await loginMs(vm, userKey.privateKey, data.pins)
        : undefined;
    const next = await Promise.all(
      [0, 1000, 2000].map(async (delay) => {
        await sleep(delay);
        return sshRun(
          22,
          REAL_USER,
          userKey.privateKey,
          "cloud-init status && test -f /var/lib/cloud/instance/boot-finished",
          vm.address,
        );
      }),
    );
    const falseReady = next.some((run) => run.code !== 0 || !/status: done/.test(run.output));
    const finishedAt = await vm.cloudInitFinished;
    // sshd (LogLevel VERBOSE in the image) logs every connection it accepts; less the next step's three, the
    // login at ready and this count's own.
    const log = await sshRun(
      22,
      REAL_USER,
      userKey.privateKey,
      "sudo -n journalctl -b -u ssh.service -o cat | grep -c '^Connection from'",
      vm.address,
    );
    const connections =
      Number(log.output.trim()) -
      next.filter((r) => r.connected).length -
      (atReady === undefined ? 0 : 1) -
      1;
    const login =
      waiter === "ssh-ready command" ? await loginMs(vm, userKey.privateKey, data.pins) : undefined;
    if (then) {
      if (!bootId) throw new Error(`${waiter} gave no boot id to go on from`);
      await then(vm, bootId);
    }
    return {
      waiter,
      bootS: Number(((finishedAt - vm.startedAt) / 1000).toFixed(1)),
      latencyMs: Math.round(readyAt - finishedAt),
      falseReady,
      connections,
      loginMs: login === undefined ? undefined : Math.round(login),
      loginAtReadyMs: atReady === undefined ? undefined : Math.round(atReady),
    };
  } finally {
    await vm.dispose();
  }
}
