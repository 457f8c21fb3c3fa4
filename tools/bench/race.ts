// The race: waiters against simulated boots on loopback. Each waiter gets its own VM booting on the same
// random timeline; we record when it said ready, whether the next step (three logins that need cloud-init
// done) then failed, and how many connections its VM's sshd saw.
import { systemClock } from "../../components/readiness/clock";
import { Deadline } from "../../components/readiness/deadline";
import { Client } from "ssh2";
import type { GeneratedKeyPair } from "../../components/keys/generation";
import { waitForSsh, type AttemptEvent } from "../../components/readiness";
import { runAttempt } from "../../components/readiness/attempt";
import { resolveOptions } from "../../components/readiness/resolve";
import { createVm, type SimulatedVm } from "../simulator";
import { portOpen } from "../simulator/tcp";

export type Scenario = "plain" | "late keys" | "azure-like";
export const SCENARIOS: Scenario[] = ["plain", "late keys", "azure-like"];

export type Waiter =
  | "nc loop (5 s)"
  | "packer-like (5 s)"
  | "1 s ssh loop + cloud-init wait"
  | "ssh-ready auth"
  | "ssh-ready command";
export const WAITERS: Waiter[] = [
  "nc loop (5 s)",
  "packer-like (5 s)",
  "1 s ssh loop + cloud-init wait",
  "ssh-ready auth",
  "ssh-ready command",
];

export interface TrialResult {
  scenario: Scenario;
  waiter: Waiter;
  /** ms from "truly ready" to the waiter's ready; negative: it said ready too early. */
  latencyMs: number;
  /** The next step (3 logins at +0/+1/+2 s needing cloud-init done) failed at least once. */
  falseReady: boolean;
  /** Connections the VM's sshd saw before the waiter said ready. */
  connections: number;
  /** Connections sshd ended at MaxAuthTries during the wait. */
  authLimitHits: number;
  /**
   * ssh-ready only: half the pause before its successful attempt plus that attempt's duration (one
   * handshake): the latency to expect from the retry pace it kept when the server became ready.
   */
  paceMs?: number;
  /**
   * ssh-ready command only: one login to its VM after the next step (handshake and key, no session, as the
   * confirming login after a command that waited): what that confirmation costs there.
   */
  loginMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

interface Timeline {
  closedMs: number;
  keysAfterMs: number;
  restartGapMs?: number;
  cloudInitAfterMs: number;
}

function timeline(scenario: Scenario): Timeline {
  switch (scenario) {
    case "plain":
      return { closedMs: between(1000, 3000), keysAfterMs: 0, cloudInitAfterMs: 0 };
    case "late keys":
      return {
        closedMs: between(1000, 2000),
        keysAfterMs: between(2000, 4000),
        cloudInitAfterMs: 0,
      };
    case "azure-like":
      return {
        closedMs: between(1000, 2000),
        keysAfterMs: between(1000, 3000),
        restartGapMs: between(500, 1000),
        cloudInitAfterMs: between(2000, 5000),
      };
  }
}

/** Boots the VM along the timeline; resolves with the moment it is truly ready (performance.now()). */
async function boot(vm: SimulatedVm, t: Timeline, publicKey: string): Promise<number> {
  await sleep(t.closedMs);
  await vm.startSshdWithoutKey();
  if (t.keysAfterMs > 0) await sleep(t.keysAfterMs);
  vm.writeKeys(publicKey);
  if (t.restartGapMs !== undefined) await vm.restartWithNewHostKey(t.restartGapMs);
  if (t.cloudInitAfterMs > 0) await sleep(t.cloudInitAfterMs);
  vm.finishCloudInit(0);
  return performance.now();
}

interface SshRun {
  /** Exit code, or null when the login failed. */
  code: number | null;
  output: string;
  /** The TCP connection was made (sshd saw it). */
  connected: boolean;
}

/** One SSH login running `command` (`readyTimeout`: Ansible's connect_timeout, for its model). */
export function sshRun(
  port: number,
  user: string,
  key: string,
  command: string,
  host = "127.0.0.1",
  readyTimeout = 10_000,
): Promise<SshRun> {
  return new Promise((resolve) => {
    const client = new Client();
    let settled = false;
    let connected = false;
    client.on("connect", () => (connected = true));
    const finish = (code: number | null, output = "") => {
      if (settled) return;
      settled = true;
      // Closed at once, not with a goodbye left waiting for the server's answer: a machine that went down for a
      // reboot never answers, and the socket would keep this process alive for the kernel's minutes of retries.
      // (ssh2's destroy() does nothing once end() has run: it only destroys a socket that is still writable.)
      client.destroy();
      resolve({ code, output, connected });
    };
    client.on("error", () => finish(null));
    client.on("close", () => finish(null));
    client.on("ready", () =>
      client.exec(command, (err, stream) => {
        if (err) return finish(null);
        let output = "";
        let code: number | null = null;
        stream.on("data", (c: Buffer) => (output += c.toString()));
        stream.stderr.on("data", () => undefined);
        stream.on("exit", (c: number | null) => (code = c));
        stream.on("close", () => finish(code, output));
      }),
    );
    client.connect({ host, port, username: user, privateKey: key, readyTimeout });
  });
}

/** Runs the waiter until it says ready; ssh-ready returns the pace figure (see TrialResult.paceMs). */
async function runWaiter(
  waiter: Waiter,
  vm: SimulatedVm,
  key: string,
): Promise<number | undefined> {
  switch (waiter) {
    case "nc loop (5 s)":
      while (!(await portOpen(vm.port))) await sleep(5000);
      return undefined;
    case "packer-like (5 s)":
      // Packer's SSH communicator: a login (handshake + auth), retried every 5 s.
      while ((await sshRun(vm.port, vm.user, key, "true")).code !== 0) await sleep(5000);
      return undefined;
    case "1 s ssh loop + cloud-init wait":
      while ((await sshRun(vm.port, vm.user, key, "cloud-init status --wait")).code !== 0)
        await sleep(1000);
      return undefined;
    case "ssh-ready auth":
    case "ssh-ready command": {
      const events: AttemptEvent[] = [];
      await waitForSsh({
        host: "127.0.0.1",
        port: vm.port,
        username: vm.user,
        privateKey: key,
        level: waiter === "ssh-ready auth" ? "auth" : "command",
        timeout: "60s",
        onAttempt: (event) => events.push(event),
      });
      const [before, success] = events.slice(-2);
      if (!before || !success) return undefined;
      return (before.nextDelayMs ?? 0) / 2 + (success.elapsedMs - success.startedMs);
    }
  }
}

/** ms one login takes, as ssh-ready's confirming login makes it (handshake and key, no session). */
async function loginMs(vm: SimulatedVm, key: string): Promise<number> {
  const opts = resolveOptions({
    host: "127.0.0.1",
    port: vm.port,
    username: vm.user,
    privateKey: key,
    level: "auth",
  });
  const started = performance.now();
  const outcome = await runAttempt(opts, {
    deadline: new Deadline(systemClock, 10_000),
    loginOnly: true,
  });
  if (!outcome.ok) throw new Error(`the login to measure failed: ${outcome.detail}`);
  return performance.now() - started;
}

/** The step after the wait: three logins at +0/+1/+2 s, each needing cloud-init done. */
async function nextStep(
  vm: SimulatedVm,
  key: string,
): Promise<{ failed: boolean; connections: number }> {
  const runs = await Promise.all(
    [0, 1000, 2000].map(async (delay) => {
      await sleep(delay);
      return sshRun(vm.port, vm.user, key, "cloud-init status");
    }),
  );
  return {
    failed: runs.some((run) => run.code !== 0 || !/status: done/.test(run.output)),
    connections: runs.filter((run) => run.connected).length,
  };
}

/** One trial: every waiter against its own VM on the same timeline. */
export async function trial(
  scenario: Scenario,
  userKey: GeneratedKeyPair,
  vmOptions: { prefer: "openssh" | "ssh2"; user?: string },
): Promise<TrialResult[]> {
  const t = timeline(scenario);
  const vms = await Promise.all(WAITERS.map(() => createVm(vmOptions.prefer, vmOptions.user)));
  try {
    const bootsDone = vms.map((vm) => boot(vm, t, userKey.publicKey));
    const waits = WAITERS.map(async (waiter, i) => {
      const paceMs = await runWaiter(waiter, vms[i], userKey.privateKey);
      const readyAt = performance.now();
      const next = await nextStep(vms[i], userKey.privateKey);
      // sshd logs each connection a moment after it; count when the log has caught up, less the next step's.
      await sleep(200);
      const connections = vms[i].connections() - next.connections;
      const login =
        waiter === "ssh-ready command" ? await loginMs(vms[i], userKey.privateKey) : undefined;
      return {
        loginMs: login,
        readyAt,
        connections,
        authLimitHits: vms[i].authLimitHits(),
        falseReady: next.failed,
        paceMs,
      };
    });
    const [trulyReady, outcomes] = await Promise.all([Promise.all(bootsDone), Promise.all(waits)]);
    return outcomes.map((o, i) => ({
      scenario,
      waiter: WAITERS[i],
      latencyMs: Math.round(o.readyAt - trulyReady[i]),
      falseReady: o.falseReady,
      connections: o.connections,
      authLimitHits: o.authLimitHits,
      paceMs: o.paceMs === undefined ? undefined : Math.round(o.paceMs),
      loginMs: o.loginMs === undefined ? undefined : Math.round(o.loginMs),
    }));
  } finally {
    await Promise.all(vms.map((vm) => vm.dispose()));
  }
}
