// Real fresh VMs on this machine: the image tools/real-vm/build-image.sh builds (Debian with systemd, sshd and
// cloud-init), booted under QEMU on a tap device of its own, its cloud-init data on a NoCloud seed drive as a
// cloud gives it. Used by the real-boot tests, `npm run demo -- --real-vm` and the benchmark.
//
// The network is the real thing a VM with a private address has: before the guest is up its address does not
// answer, then a closed port answers with a reset, then sshd. The guest reaches nothing but this host: its
// network config has no gateway, and the host does not forward what arrives on the tap.
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
/** From dist/tools/real-vm back to the source tree. */
const BUILD = resolve(__dirname, "../../../tools/real-vm/build-image.sh");
const BUILD_SHOWN = "tools/real-vm/build-image.sh";
/** Host tools a boot needs, and the Debian package that has each. */
const TOOLS: Record<string, string> = {
  "qemu-system-x86_64": "qemu-system-x86",
  "mkfs.vfat": "dosfstools",
  mcopy: "mtools",
  ip: "iproute2",
};
/** Tap devices this harness makes are named TAP_PREFIX + a number, the VM's address 10.77.<number>.2. */
const TAP_PREFIX = "srvm";
/** cloud-init's last line on the console: "Cloud-init v. 22.4.2 finished at …". */
const FINISHED = /Cloud-init v\. \S+ finished at/;

/** The folder with the built image (vmlinuz, initrd.img, root.img), or undefined when it is not built. */
export function imageDir(): string | undefined {
  try {
    return execFileSync("bash", [BUILD, "--print-dir"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
}

function missingParts(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("root (tap devices)");
  const packages = Object.entries(TOOLS)
    .filter(([tool]) => !onPath(tool))
    .map(([, pkg]) => pkg);
  if (packages.length > 0) missing.push(`apt-get install ${packages.join(" ")}`);
  if (!existsSync("/dev/net/tun")) missing.push("/dev/net/tun");
  return missing;
}

function onPath(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Why real boots cannot run here, or false. Under CI (CI=true) a missing part is a failure, never a skip
 * (.ci/run installs QEMU and builds the image first); elsewhere a loud notice says what to do.
 */
export function realVmSkipReason(): string | false {
  const missing = missingParts();
  if (!imageDir()) missing.push(`the VM image (bash ${BUILD_SHOWN}, as root: about 2 minutes)`);
  if (missing.length === 0) return false;
  if (process.env.CI === "true")
    throw new Error(`real boots need ${missing.join(", ")}: .ci/run prepares them`);
  const notice = `SKIPPED: real VM boots need ${missing.join(", ")}`;
  process.stderr.write(`\n*** ${notice} ***\n\n`);
  return notice;
}

/** What cloud-init gets on the seed drive: what Azure gives it through its datasource. */
export interface VmSeed {
  /** The user data, exactly as the VM gets it (for VmWithReadySsh: its custom data, decoded). */
  userData: string;
  /** The admin user (Azure's ovf-env UserName): made by cloud-init as its default user. */
  adminUsername: string;
  /** The admin user's public key (Azure's ovf-env SSH public key). */
  adminPublicKey: string;
  /** A new one makes cloud-init run as on a new instance. Defaults to a random one. */
  instanceId?: string;
  hostname?: string;
}

export interface BootOptions {
  seed: VmSeed;
  /** Boot this disk (a file a previous boot kept with `keep()`) instead of a fresh copy of the image. */
  disk?: string;
  /** Memory in MiB; defaults to 1024. */
  memory?: number;
  /** A reboot in the guest reboots it (by default QEMU exits instead, as a power-off does). */
  reboots?: boolean;
}

let kvmWorks: boolean | undefined;
const live = new Set<RealVm>();
process.on("exit", () => {
  for (const vm of live) vm.disposeNow();
});
// Interrupted (Ctrl-C, or a runner ending the process): the VMs go first, then the signal does what it would.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, function stopVms() {
    for (const vm of live) vm.disposeNow();
    process.removeListener(signal, stopVms);
    process.kill(process.pid, signal);
  });
}

/** A booted VM. `dispose` stops it and removes its tap device and files. */
export class RealVm {
  /** The guest's address on its tap device. */
  readonly address: string;
  readonly hostAddress: string;
  /** performance.now() when QEMU started. */
  readonly startedAt: number;
  /** performance.now() when cloud-init's final line reached the console (resolves once seen). */
  readonly cloudInitFinished: Promise<number>;
  /** Resolves with QEMU's exit code when the VM is off (a power-off ends QEMU). */
  readonly exited: Promise<number | null>;
  private disposed = false;
  private keptAt: string | undefined;

  private constructor(
    readonly dir: string,
    readonly tap: string,
    index: number,
    private readonly qemu: ChildProcess,
    readonly accel: "kvm" | "tcg",
  ) {
    this.address = `10.77.${index}.2`;
    this.hostAddress = `10.77.${index}.1`;
    this.startedAt = performance.now();
    this.exited = new Promise((done) => qemu.once("exit", (code) => done(code)));
    this.cloudInitFinished = this.cloudInitFinishes(1);
    // A VM disposed before cloud-init finished rejects it; only a caller that awaits it should hear of that.
    this.cloudInitFinished.catch(() => undefined);
  }

  /** The disk file the VM runs on. */
  get disk(): string {
    return join(this.dir, "disk.img");
  }

  /** The file QEMU writes the serial console to: what a wait's `serialLog` reads. */
  get serialLog(): string {
    return join(this.dir, "serial.log");
  }

  /** Everything the serial console printed so far. */
  console(): string {
    try {
      return readFileSync(this.serialLog, "latin1");
    } catch {
      return "";
    }
  }

  /** Boots a VM: a fresh copy of the image (or `options.disk`), its seed drive and a tap device of its own. */
  static async boot(options: BootOptions): Promise<RealVm> {
    const image = imageDir();
    if (!image) throw new Error(`the VM image is not built: run \`bash ${BUILD_SHOWN}\` as root`);
    const dir = mkdtempSync(join(tmpdir(), "ssh-ready-vm-"));
    let tap: { name: string; index: number } | undefined;
    try {
      if (options.disk) execFileSync("mv", [options.disk, join(dir, "disk.img")]);
      else execFileSync("cp", ["--sparse=always", join(image, "root.img"), join(dir, "disk.img")]);
      tap = createTap();
      await writeSeed(dir, options.seed, tap.index);
      kvmWorks ??= await kvmBoots(image, dir);
      const accel = kvmWorks ? "kvm" : "tcg";
      const qemu = startQemu(
        image,
        dir,
        tap,
        accel,
        options.memory ?? 1024,
        false,
        options.reboots,
      );
      const vm = new RealVm(dir, tap.name, tap.index, qemu, accel);
      live.add(vm);
      return vm;
    } catch (error) {
      if (tap) removeTap(tap.name);
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * Keeps the disk file when the VM is disposed, and returns where it will be (to boot it again with
   * `options.disk`, or to read it); `removeKeptDisk` removes it.
   */
  keep(): string {
    this.keptAt ??= join(mkdtempSync(join(tmpdir(), "ssh-ready-disk-")), "disk.img");
    return this.keptAt;
  }

  /** Waits for the VM to power off on its own (QEMU exits); rejects after `timeoutMs`. */
  async poweredOff(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the VM did not power off within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops QEMU (if still running), removes the tap device and the VM's files (the disk too, unless kept). */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    if (this.qemu.exitCode === null && this.qemu.signalCode === null) {
      this.qemu.kill("SIGKILL");
      await this.exited;
    }
    this.disposeNow();
  }

  /** Synchronous cleanup, also run when the process exits with VMs still up. */
  disposeNow(): void {
    if (this.disposed) return;
    this.disposed = true;
    live.delete(this);
    if (this.qemu.exitCode === null && this.qemu.signalCode === null) this.qemu.kill("SIGKILL");
    removeTap(this.tap);
    if (this.keptAt && existsSync(this.disk)) {
      execFileSync("mv", [this.disk, this.keptAt]);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * performance.now() when cloud-init's final line has reached the console `count` times: 2 is the boot after
   * the first reboot (`reboots: true`; the console log goes on across reboots). Polls every 50 ms.
   */
  async cloudInitFinishes(count: number): Promise<number> {
    const finished = new RegExp(FINISHED.source, "g");
    while (!this.disposed) {
      if ((this.console().match(finished) ?? []).length >= count) return performance.now();
      if (this.qemu.exitCode !== null || this.qemu.signalCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the VM stopped before cloud-init finished (boot ${count})`);
  }
}

/** Removes a file made by `RealVm.keep()`, and its folder. */
export function removeKeptDisk(path: string): void {
  rmSync(resolve(path, ".."), { recursive: true, force: true });
}

function createTap(): { name: string; index: number } {
  for (let index = 1; index < 250; index++) {
    const name = `${TAP_PREFIX}${index}`;
    try {
      execFileSync("ip", ["tuntap", "add", name, "mode", "tap"], { stdio: "pipe" });
    } catch {
      continue; // taken (another VM of this machine's)
    }
    try {
      // Nothing that arrives from the guest is forwarded beyond this host, whatever the host's own setting.
      writeFileSync(`/proc/sys/net/ipv4/conf/${name}/forwarding`, "0");
      writeFileSync(`/proc/sys/net/ipv6/conf/${name}/disable_ipv6`, "1");
      execFileSync("ip", ["addr", "add", `10.77.${index}.1/24`, "dev", name], { stdio: "pipe" });
      execFileSync("ip", ["link", "set", name, "up"], { stdio: "pipe" });
      return { name, index };
    } catch (error) {
      removeTap(name);
      throw error;
    }
  }
  throw new Error(`no free tap device name (${TAP_PREFIX}1 to ${TAP_PREFIX}249 are all taken)`);
}

function removeTap(name: string): void {
  try {
    execFileSync("ip", ["link", "del", name], { stdio: "ignore" });
  } catch {
    // already gone
  }
}

const mac = (index: number) => `52:54:00:77:${index.toString(16).padStart(2, "0")}:02`;

/** The NoCloud seed drive (label CIDATA), as clouds give cloud-init its data: not inside the disk. */
async function writeSeed(dir: string, seed: VmSeed, index: number): Promise<void> {
  const files: Record<string, string> = {
    "user-data": seed.userData,
    "meta-data":
      `instance-id: ${seed.instanceId ?? `i-${randomBytes(8).toString("hex")}`}\n` +
      `local-hostname: ${seed.hostname ?? "ready-vm"}\n` +
      `public-keys:\n  - ${seed.adminPublicKey.trim()}\n`,
    // Azure's datasource names the admin user; NoCloud's meta-data cannot, and cloud-config's `user` does.
    // And the host name resolves, as a cloud's DNS makes it (else sudo warns on every call).
    "vendor-data": `#cloud-config\nuser:\n  name: ${seed.adminUsername}\nmanage_etc_hosts: true\n`,
    // A fixed address and no gateway: the guest reaches this host only.
    "network-config":
      `version: 2\nethernets:\n  nic0:\n    match:\n      macaddress: "${mac(index)}"\n` +
      `    set-name: eth0\n    addresses: [10.77.${index}.2/24]\n`,
  };
  const image = join(dir, "seed.img");
  await run("mkfs.vfat", ["-n", "CIDATA", "-C", image, "2048"]);
  for (const [name, content] of Object.entries(files)) {
    const file = join(dir, name);
    writeFileSync(file, content);
    await run("mcopy", ["-i", image, file, `::${name}`]);
    rmSync(file);
  }
}

function qemuArgs(
  image: string,
  dir: string,
  accel: "kvm" | "tcg",
  memory: number,
  reboots = false,
): string[] {
  return [
    ...(accel === "kvm"
      ? ["-accel", "kvm", "-cpu", "host"]
      : ["-accel", "tcg,thread=multi", "-cpu", "max"]),
    ["-m", String(memory)],
    ["-smp", "2"],
    ["-kernel", join(image, "vmlinuz")],
    ["-initrd", join(image, "initrd.img")],
    ["-append", "root=/dev/vda rw console=ttyS0"],
    // discard=unmap: the guest's TRIM punches holes in the disk file, as Azure's managed disks drop the blocks.
    ["-drive", `file=${join(dir, "disk.img")},if=virtio,format=raw,discard=unmap`],
    ["-drive", `file=${join(dir, "seed.img")},if=virtio,format=raw,readonly=on`],
    ["-serial", `file:${join(dir, "serial.log")}`],
    ["-display", "none"],
    ["-monitor", "none"],
    reboots ? [] : ["-no-reboot"],
  ].flat();
}

function startQemu(
  image: string,
  dir: string,
  tap: { name: string; index: number },
  accel: "kvm" | "tcg",
  memory: number,
  detached = false,
  reboots = false,
): ChildProcess {
  const net = [
    "-netdev",
    `tap,id=n0,ifname=${tap.name},script=no,downscript=no`,
    "-device",
    `virtio-net-pci,netdev=n0,mac=${mac(tap.index)}`,
  ];
  const log = openSync(join(dir, "qemu.log"), "w");
  try {
    return spawn("qemu-system-x86_64", [...qemuArgs(image, dir, accel, memory, reboots), ...net], {
      stdio: ["ignore", log, log],
      detached,
    });
  } finally {
    closeSync(log);
  }
}

/** What a detached VM leaves in its state folder, for `stopDetached`. */
interface DetachedState {
  pid: number;
  tap: string;
  address: string;
}

/**
 * Boots a VM that outlives this process (the `local` stack's): its disk, seed, console log and QEMU's pid in
 * `stateDir`. Returns once QEMU runs; the boot goes on. `stopDetached` ends it and removes what it made.
 */
export async function startDetached(
  stateDir: string,
  seed: VmSeed,
): Promise<{ address: string; accel: "kvm" | "tcg"; serialLog: string }> {
  const image = imageDir();
  if (!image) throw new Error(`the VM image is not built: run \`bash ${BUILD_SHOWN}\` as root`);
  const missing = missingParts();
  if (missing.length > 0) throw new Error(`a real VM needs ${missing.join(", ")}`);
  if (existsSync(join(stateDir, "vm.json")))
    throw new Error(`${stateDir} already holds a VM: stop it first`);
  // The seed holds the custom data, host private keys included: for root's eyes only.
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const tap = createTap();
  try {
    execFileSync("cp", ["--sparse=always", join(image, "root.img"), join(stateDir, "disk.img")]);
    await writeSeed(stateDir, seed, tap.index);
    const accel = (await kvmBoots(image, stateDir)) ? "kvm" : "tcg";
    const qemu = startQemu(image, stateDir, tap, accel, 1024, true);
    qemu.unref();
    const state: DetachedState = { pid: qemu.pid!, tap: tap.name, address: `10.77.${tap.index}.2` };
    writeFileSync(join(stateDir, "vm.json"), JSON.stringify(state));
    return { address: state.address, accel, serialLog: join(stateDir, "serial.log") };
  } catch (error) {
    removeTap(tap.name);
    throw error;
  }
}

/** Ends a VM `startDetached` made and removes its tap device and state folder; nothing to do when gone. */
export function stopDetached(stateDir: string): void {
  const file = join(stateDir, "vm.json");
  if (existsSync(file)) {
    const state = JSON.parse(readFileSync(file, "utf8")) as DetachedState;
    try {
      // Only a QEMU: a pid reused by another process since is left alone.
      if (readFileSync(`/proc/${state.pid}/comm`, "utf8").trim().startsWith("qemu-system"))
        process.kill(state.pid, "SIGKILL");
    } catch {
      // already gone
    }
    removeTap(state.tap);
  }
  rmSync(stateDir, { recursive: true, force: true });
}

/** Whether KVM boots here, probed once per image and machine (the answer is kept beside the image). */
async function kvmBoots(image: string, dir: string): Promise<boolean> {
  const answer = join(image, "kvm-boots");
  if (existsSync(answer)) return readFileSync(answer, "utf8").trim() === "yes";
  const works = await probeKvm(image, dir);
  writeFileSync(answer, works ? "yes\n" : "no\n");
  return works;
}

/**
 * Whether KVM boots here: /dev/kvm may open and QEMU still hang before the kernel prints anything (seen on these
 * machines). A boot with KVM that reaches the serial console within 15 s says yes.
 */
async function probeKvm(image: string, dir: string): Promise<boolean> {
  if (!existsSync("/dev/kvm")) return false;
  const probeDir = mkdtempSync(join(dir, "kvm-probe-"));
  copyFileSync(join(dir, "seed.img"), join(probeDir, "seed.img"));
  writeFileSync(join(probeDir, "disk.img"), "");
  const qemu = spawn("qemu-system-x86_64", qemuArgs(image, probeDir, "kvm", 256), {
    stdio: "ignore",
  });
  const deadline = performance.now() + 15_000;
  let works = false;
  while (performance.now() < deadline && qemu.exitCode === null) {
    const log = existsSync(join(probeDir, "serial.log"))
      ? readFileSync(join(probeDir, "serial.log"), "latin1")
      : "";
    if (log.includes("Linux version")) {
      works = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  qemu.kill("SIGKILL");
  await new Promise((r) => (qemu.exitCode !== null ? r(null) : qemu.once("exit", r)));
  rmSync(probeDir, { recursive: true, force: true });
  return works;
}
