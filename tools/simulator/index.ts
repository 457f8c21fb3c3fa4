// A simulated fresh VM on 127.0.0.1: real OpenSSH sshd when it is installed, else ssh2's in-process server.
import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import { BootSimulator, type BootPhase, type CloudInitResult } from "./boot-simulator";
import { SSHD } from "./openssh";
import { Ssh2Vm } from "./ssh2-vm";

export interface SimulatedVm {
  readonly kind: "openssh" | "ssh2";
  readonly port: number;
  readonly user: string;
  /** performance.now() of each boot step. */
  readonly at: Partial<Record<BootPhase, number>>;
  startSshdWithoutKey(): Promise<void>;
  writeKeys(publicKey: string): void;
  restartWithNewHostKey(gapMs?: number): Promise<void>;
  finishCloudInit(result?: CloudInitResult): void;
  /** Connections the VM's sshd accepted so far. */
  connections(): number;
  /** Connections sshd ended at MaxAuthTries ("maximum authentication attempts exceeded", which fail2ban counts). */
  authLimitHits(): number;
  dispose(): Promise<void>;
}

/**
 * A VM whose port is still closed. With OpenSSH the login user is `user`, by default the one running this
 * (the benchmark passes a plain user when it runs as root, whose shell start-up would skew every login).
 */
export async function createVm(
  prefer: "openssh" | "ssh2" = "openssh",
  user = userInfo().username,
): Promise<SimulatedVm> {
  if (prefer === "openssh" && existsSync(SSHD)) return BootSimulator.create({ user });
  return Ssh2Vm.create();
}

export type { BootPhase, CloudInitResult };
