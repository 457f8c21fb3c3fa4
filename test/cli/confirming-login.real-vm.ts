// Why ssh-ready logs in once more after `cloud-init status --wait` returns, on a real boot: a provisioning step
// turns on a firewall that drops new SSH connections. A session opened before it (the hand loop's, and
// ssh-ready's own) keeps running and sees cloud-init done, with the same sshd process and the same host keys
// throughout; nothing that session can read says a new connection will fail. Only a new login can tell.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { RealVm, realVmSkipReason } from "../../tools/real-vm/vm";
import { ed25519 } from "../support/keys";
import {
  componentData,
  Login,
  sshReadyOnVm,
  type ComponentData,
  type SshReadyRun,
} from "../support/real-vm";

const admin = ed25519();
const TIMEOUT_S = 75;

// The step waits until both waiters sit in `cloud-init status --wait` (ssh-ready's runs it by `exec`, the hand
// loop's under its shell: two python3 processes either way), so both sessions predate the firewall.
const USER_DATA = `#cloud-config
runcmd:
  - [sh, -c, 'timeout 300 sh -c "until [ \\$(pgrep -c -f \\"^/usr/bin/python3 /usr/bin/[c]loud-init status --wait\\") -ge 2 ]; do sleep 0.5; done"']
  - [nft, add, table, inet, guard]
  - [nft, add, chain, inet, guard, input, '{ type filter hook input priority 0; }']
  - [nft, add, rule, inet, guard, input, tcp, dport, '22', ct, state, new, drop]
`;

describe("the confirming login on a real boot", { skip: realVmSkipReason() }, () => {
  let data: ComponentData;
  let vm: RealVm;
  let dir: string;
  let login: Login;
  let hand: { code: number | null; stdout: string };
  let run: SshReadyRun;

  before(async () => {
    data = await componentData("firewall", admin.private, USER_DATA);
    dir = mkdtempSync(join(tmpdir(), "ssh-ready-confirm-"));
    writeFileSync(join(dir, "key"), admin.private, { mode: 0o600 });
    vm = await RealVm.boot({
      seed: { userData: data.userData, adminUsername: "azureuser", adminPublicKey: admin.public },
    });
    login = new Login(vm.address, "azureuser", admin.private, data.pins);
    // The hand loop: log in until sshd takes the key, then wait for cloud-init in that session.
    let qemuExited = false;
    void vm.exited.then(() => (qemuExited = true));
    while ((await login.run("true")).code !== 0) {
      if (qemuExited) throw new Error(`QEMU exited before sshd took the key:\n${vm.console()}`);
      await new Promise((done) => setTimeout(done, 1000));
    }
    // What the session can read of sshd, before and after its wait: the listening process, the host key files.
    const sshd =
      "systemctl show -p MainPID --value ssh; cat /etc/ssh/ssh_host_*_key.pub | sha256sum";
    const handRun = login.run(`${sshd}; cloud-init status --wait; echo rc=$?; ${sshd}`);
    [hand, run] = await Promise.all([
      handRun,
      sshReadyOnVm(vm, join(dir, "key"), data.pins, TIMEOUT_S),
    ]);
  });
  after(async () => {
    login?.dispose();
    await vm?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the session opened before the firewall sees cloud-init done, the same sshd and the same host keys", async () => {
    await vm.cloudInitFinished;
    assert.equal(hand.code, 0, hand.stdout);
    const lines = hand.stdout.trim().split("\n");
    const [pid, keys] = lines;
    assert.match(pid, /^[1-9]\d*$/);
    assert.match(keys, /^[0-9a-f]{64} {2}-$/);
    assert.match(lines.slice(2, -2).join("\n"), /status: done\nrc=0$/);
    assert.deepEqual(
      lines.slice(-2),
      [pid, keys],
      "the same sshd and host keys before and after the wait",
    );
  });

  it("ssh-ready does not say ready: its confirming login is dropped by the firewall", () => {
    process.stderr.write(`ssh-ready exited ${run.code}:\n${run.stderr}`);
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      /attempt 1: no answer — packets dropped \(confirming login after the command:/,
    );
    assert.match(
      run.stderr,
      /ssh-ready: azureuser@[\d.]+:22 ran the readiness command \(attempt 1\), but no new login worked after it/,
    );
    assert.doesNotMatch(run.stdout, /ready/i);
  });
});
