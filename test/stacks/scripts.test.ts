// The stacks' shell scripts, run for real with stub commands on PATH: the capture cleanup against a fake root
// tree, the Azure CLI steps, the default provisioning's wait for apt's locks, and the dev stack's greeting.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { HELLO_SCRIPT } from "../../stacks/dev";
import { script } from "../../stacks/image";
import { scratchDir } from "../support/scratch";

/** A directory of stub commands; each appends its name and arguments to `calls`, then runs `body`. */
function stubs(commands: Record<string, string>): { bin: string; calls: () => string[] } {
  const dir = scratchDir("stack-scripts-");
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const log = join(dir, "calls");
  writeFileSync(log, "");
  for (const [name, body] of Object.entries(commands)) {
    const file = join(bin, name);
    writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> "${log}"\n${body}\n`);
    chmodSync(file, 0o755);
  }
  return { bin, calls: () => readFileSync(log, "utf8").split("\n").filter(Boolean) };
}

function run(text: string, env: Record<string, string>, bin: string) {
  return spawnSync("/bin/sh", ["-s"], {
    input: text,
    encoding: "utf8",
    env: { ...env, PATH: `${bin}:/usr/bin:/bin` },
  });
}

describe("capture cleanup", () => {
  const removed = [
    "var/lib/cloud/instances/iid-1/user-data.txt",
    "var/lib/cloud/instances/iid-1/obj.pkl",
    "var/lib/cloud/instance/user-data.txt",
    "var/lib/cloud/data/instance-id",
    "var/lib/cloud/sem/config_ssh",
    "var/lib/cloud/seed/azure/ovf-env.xml",
    "var/log/cloud-init.log",
    "var/log/cloud-init-output.log",
    "var/lib/waagent/CustomData",
    "var/lib/waagent/ovf-env.xml",
    "etc/ssh/ssh_host_rsa_key",
    "etc/ssh/ssh_host_rsa_key.pub",
    "etc/ssh/ssh_host_ed25519_key",
    "etc/ssh/ssh_host_ecdsa_key-cert.pub",
    "root/.bash_history",
    "home/azureuser/.bash_history",
    "home/ops/.zsh_history",
    "etc/sudoers.d/90-cloud-init-users",
    "root/.ssh/authorized_keys",
  ];
  const kept = [
    "etc/ssh/sshd_config",
    "etc/ssh/ssh_config",
    "var/lib/cloud/scripts/per-boot/keep.sh",
    "var/log/syslog",
    "var/lib/waagent/waagent_status.json",
    "home/azureuser/.bashrc",
    "root/.profile",
    "etc/cloud/cloud.cfg",
  ];

  it("removes every listed file under the root it is given, touches nothing else, then deprovisions", () => {
    const root = scratchDir("fake-root-");
    for (const file of [...removed, ...kept]) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), `content of ${file}`);
    }
    const { bin, calls } = stubs({
      "cloud-init": 'case "$*" in "clean --help") echo "  --logs  --machine-id";; esac',
      // The agent reads the admin user's name from ovf-env.xml: it must still be there.
      waagent: `[ -f "${root}/var/lib/waagent/ovf-env.xml" ] && echo "waagent found ovf-env.xml" >> "$(dirname "$0")/../calls"`,
      fstrim: "",
    });
    const result = run(script("capture-cleanup"), { ROOT: root }, bin);
    assert.equal(result.status, 0, result.stderr);
    for (const file of removed)
      assert.equal(existsSync(join(root, file)), false, `${file} removed`);
    for (const file of kept) {
      assert.equal(
        readFileSync(join(root, file), "utf8"),
        `content of ${file}`,
        `${file} untouched`,
      );
    }
    assert.deepEqual(calls(), [
      "cloud-init clean --help",
      "cloud-init clean --logs --machine-id",
      "waagent -deprovision+user -force",
      "waagent found ovf-env.xml",
      `fstrim ${root}/`,
    ]);
  });

  it("deletes the sudo user itself when the agent left it (no ovf-env.xml)", () => {
    const root = scratchDir("fake-root-");
    const commands = (userdel: string) => ({
      "cloud-init": 'case "$*" in "clean --help") echo "  --logs";; esac',
      waagent: "",
      fstrim: "",
      id: '[ -f "$(dirname "$0")/../deleted" ] && exit 1; [ "$1" = builder ]',
      userdel,
    });
    // userdel warns and exits non-zero for a logged-in user without a mail spool, and still deletes it.
    const left = stubs(commands('touch "$(dirname "$0")/../deleted"; exit 12'));
    const deleted = run(script("capture-cleanup"), { ROOT: root, SUDO_USER: "builder" }, left.bin);
    assert.equal(deleted.status, 0, deleted.stderr);
    assert.deepEqual(left.calls().slice(-5), [
      "waagent -deprovision+user -force",
      "id builder",
      "userdel --force --remove builder",
      "id builder",
      `fstrim ${root}/`,
    ]);
    const stuck = stubs(commands("exit 8"));
    const failed = run(script("capture-cleanup"), { ROOT: root, SUDO_USER: "builder" }, stuck.bin);
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /could not delete user builder/);
    assert.ok(
      !stuck.calls().some((c) => c.startsWith("fstrim")),
      "no capture-ready disk is claimed",
    );
    const gone = stubs(commands(""));
    writeFileSync(join(dirname(gone.bin), "deleted"), "");
    assert.equal(
      run(script("capture-cleanup"), { ROOT: root, SUDO_USER: "builder" }, gone.bin).status,
      0,
    );
    assert.ok(!gone.calls().some((c) => c.startsWith("userdel")), "no userdel for a deleted user");
  });

  it("zero-fills the free space where the disk takes no discard", () => {
    const root = scratchDir("fake-root-");
    const { bin, calls } = stubs({
      "cloud-init": 'case "$*" in "clean --help") echo "  --logs";; esac',
      waagent: "",
      fstrim: 'echo "fstrim: /: the discard operation is not supported" >&2; exit 1',
      // A disk that fills after a few blocks, as dd ends at "No space left on device".
      dd: 'for a in "$@"; do case "$a" in of=*) echo zeros > "${a#of=}";; esac; done; exit 1',
    });
    const result = run(script("capture-cleanup"), { ROOT: root }, bin);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(calls().slice(-2), [
      `fstrim ${root}/`,
      `dd if=/dev/zero of=${root}/zero.fill bs=1M`,
    ]);
    assert.equal(existsSync(join(root, "zero.fill")), false, "the fill file is removed");
    assert.match(result.stderr, /zero-filling the free space instead/);
  });

  it("uses the flags an older cloud-init has, and stops before deprovisioning when a step fails", () => {
    const root = scratchDir("fake-root-");
    const older = stubs({
      "cloud-init": 'case "$*" in "clean --help") echo "  --logs";; esac',
      waagent: "",
      fstrim: "",
    });
    assert.equal(run(script("capture-cleanup"), { ROOT: root }, older.bin).status, 0);
    assert.deepEqual(older.calls().slice(1), [
      "cloud-init clean --logs",
      "waagent -deprovision+user -force",
      `fstrim ${root}/`,
    ]);
    const failing = stubs({
      "cloud-init": 'case "$*" in "clean --help") echo "  --logs";; *) exit 1;; esac',
      waagent: "",
    });
    assert.equal(run(script("capture-cleanup"), { ROOT: root }, failing.bin).status, 1);
    assert.ok(!failing.calls().some((c) => c.startsWith("waagent")));
  });
});

describe("az-generalize", () => {
  const VM_ID =
    "/subscriptions/1111-2222/resourceGroups/image-rg/providers/Microsoft.Compute/virtualMachines/image-vm";

  it("deallocates and generalizes by the VM's full resource ID, after checking that subscription", () => {
    const { bin, calls } = stubs({ az: "" });
    const result = run(script("az-generalize"), { VM_ID }, bin);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(calls(), [
      "az account show --subscription 1111-2222 --query id -o tsv",
      `az vm deallocate --ids ${VM_ID}`,
      `az vm generalize --ids ${VM_ID}`,
    ]);
  });

  it("only checks with CHECK_ONLY=1", () => {
    const { bin, calls } = stubs({ az: "" });
    assert.equal(run(script("az-generalize"), { VM_ID, CHECK_ONLY: "1" }, bin).status, 0);
    assert.deepEqual(calls(), ["az account show --subscription 1111-2222 --query id -o tsv"]);
  });

  it("fails with one clear line when the CLI is missing or not logged in to the VM's subscription", () => {
    const none = stubs({});
    const missing = run(script("az-generalize"), { VM_ID }, none.bin);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^image stack: the Azure CLI \(az\) is not installed here/);
    const loggedOut = stubs({ az: 'case "$*" in "account show"*) exit 1;; esac' });
    const denied = run(script("az-generalize"), { VM_ID }, loggedOut.bin);
    assert.equal(denied.status, 1);
    assert.equal(
      denied.stderr.trim(),
      "image stack: the Azure CLI is not logged in to subscription 1111-2222, where the build VM is: run az login (and check your access to it)",
    );
    assert.ok(!loggedOut.calls().some((c) => c.startsWith("az vm")));
  });
});

describe("default provisioning", () => {
  it("waits while apt's locks are held, then updates and upgrades with apt's own lock timeout", () => {
    const dir = scratchDir("locks-");
    const counter = join(dir, "held");
    writeFileSync(counter, "3");
    // fuser "finds" a lock holder three times, then none; sleep and sudo do nothing but run.
    const { bin, calls } = stubs({
      fuser: `n=$(cat "${counter}"); if [ "$n" -gt 0 ]; then echo $((n - 1)) > "${counter}"; exit 0; fi; exit 1`,
      sleep: "",
      sudo: 'exec "$@"',
      env: '[ "$1" = DEBIAN_FRONTEND=noninteractive ] && shift; exec "$@"',
      "apt-get": "",
    });
    const result = run(script("provision-default"), {}, bin);
    assert.equal(result.status, 0, result.stderr);
    const steps = calls().filter((c) => !c.startsWith("sudo ") && !c.startsWith("env "));
    const lockCheck =
      "fuser /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock";
    assert.deepEqual(steps, [
      lockCheck,
      "sleep 2",
      lockCheck,
      "sleep 2",
      lockCheck,
      "sleep 2",
      lockCheck,
      "apt-get -o DPkg::Lock::Timeout=600 update",
      lockCheck,
      "apt-get -o DPkg::Lock::Timeout=600 -y upgrade",
    ]);
    assert.ok(
      calls().includes(
        "env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -y upgrade",
      ),
      "upgrades without questions",
    );
  });
});

describe("dev stack greeting", () => {
  for (const [exit, expected, note] of [
    [0, 0, false],
    [2, 0, true],
    [1, 1, false],
  ] as const) {
    it(`exits ${expected} when cloud-init status exits ${exit}${note ? ", with a note" : ""}`, () => {
      const { bin } = stubs({ uname: "", "cloud-init": `exit ${exit}` });
      const result = run(HELLO_SCRIPT, {}, bin);
      assert.equal(result.status, expected);
      assert.equal(/recoverable errors/.test(result.stdout), note);
    });
  }
});
