// Debian's real cloud-init (and the Azure VM agent's provisioning wait) as the judge of the custom data the
// component makes: cloud_init_judge.py runs their code. `apply` runs in a private mount namespace whose
// /etc/ssh and /root are scratch directories, so the machine's own keys and root account are never touched.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** Debian's cloud-init runs on the system Python, not on a pyenv `python3` that may come first on PATH. */
const PYTHON = "/usr/bin/python3";
// From dist/test/support back to the source tree.
const JUDGE = resolve(__dirname, "../../../test/support/cloud_init_judge.py");

export interface CloudInitRead {
  /** The parts cloud-init's UserDataProcessor made, in order. */
  parts: { type: string; text: string }[];
  /** The config its cloud-config part handler merged from them. */
  merged: Record<string, unknown> | null;
  /** The cloud-config file the handler wrote (what the config modules read). */
  written: string;
  schemaErrors: string[];
  schemaDeprecations: string[];
  /** Every WARNING cloud-init logged while reading; cloud-init ≥ 23.4 turns each into exit 2. */
  warnings: string[];
}

export interface CloudInitApplied {
  /** /etc/ssh/ssh_host_* after cloud-init's ssh module ran: file name → content. */
  files: Record<string, string>;
  /** The Azure VM agent's wait for the host key of its configured type. */
  agent: { keyType: string; thumbprint?: string; error?: string };
  warnings: string[];
  /** Directory holding the host key files (outside the namespace, for sshd). */
  sshDir: string;
  dispose(): void;
}

/** Why the real cloud-init tests cannot run here, or false. Under CI a missing part is a failure. */
export function cloudInitSkipReason(options: { needsRoot?: boolean } = {}): string | false {
  const missing: string[] = [];
  const packages: string[] = [];
  if (!existsSync("/usr/lib/python3/dist-packages/cloudinit")) {
    missing.push("Debian's cloud-init package");
    packages.push("cloud-init");
  }
  if (!existsSync("/usr/lib/python3/dist-packages/azurelinuxagent")) {
    missing.push("Debian's waagent package");
    packages.push("waagent");
  }
  const fixes = packages.length > 0 ? [`apt-get install ${packages.join(" ")}`] : [];
  if (options.needsRoot && process.getuid?.() !== 0) {
    missing.push("root (for a private mount namespace)");
    fixes.push("run the tests as root");
  }
  if (missing.length === 0) return false;
  if (process.env.CI === "true") {
    throw new Error(`the cloud-init tests need ${missing.join(" and ")}: .ci/run installs them`);
  }
  const notice = `SKIPPED: the real cloud-init tests need ${missing.join(" and ")}: ${fixes.join("; ")}`;
  process.stderr.write(`\n*** ${notice} ***\n\n`);
  return notice;
}

function runJudge(args: string[], input?: string, wrap?: (argv: string[]) => string[]): unknown {
  const argv = wrap ? wrap([PYTHON, JUDGE, ...args]) : [PYTHON, JUDGE, ...args];
  const run = spawnSync(argv[0], argv.slice(1), { input, encoding: "utf8" });
  if (run.status !== 0) {
    throw new Error(
      `cloud-init judge ${args[0]} failed (${run.status}): ${run.stderr.slice(-2000)}`,
    );
  }
  return JSON.parse(run.stdout);
}

/**
 * `argv` run in a private mount namespace (needs root) where each directory of the machine named in `binds` is
 * the scratch directory it maps to: cloud-init reads and writes there, never in the machine's own.
 */
export function inPrivateMounts(binds: Record<string, string>, argv: string[]): string[] {
  const targets = Object.keys(binds);
  const mounts = targets.map((target, i) => `mount --bind "$${i + 1}" ${target}`).join(" && ");
  return [
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "sh",
    "-c",
    `${mounts} && shift ${targets.length} && exec "$@"`,
    "sandbox",
    ...Object.values(binds),
    ...argv,
  ];
}

/** Reads user data with cloud-init's own processor, part handler and schema validator. */
export function cloudInitRead(userData: string): CloudInitRead {
  return runJudge(["read"], userData) as CloudInitRead;
}

/**
 * Applies a merged config with cloud-init's ssh module, /etc/ssh and /root replaced by scratch directories in
 * a private mount namespace. `imageKeys` are host key files the "image" had before (they must be deleted).
 */
export function cloudInitApply(
  config: Record<string, unknown>,
  imageKeys: Record<string, string> = {},
): CloudInitApplied {
  const scratch = mkdtempSync(join(tmpdir(), "ssh-ready-cloud-init-"));
  const sshDir = join(scratch, "etc-ssh");
  const rootDir = join(scratch, "root");
  mkdirSync(sshDir, { mode: 0o755 });
  mkdirSync(rootDir, { mode: 0o700 });
  writeFileSync(join(sshDir, ".vm-with-ready-ssh-sandbox"), "");
  for (const [name, text] of Object.entries(imageKeys))
    writeFileSync(join(sshDir, name), text, { mode: 0o600 });
  const configFile = join(scratch, "config.json");
  writeFileSync(configFile, JSON.stringify(config));
  try {
    const result = runJudge(["apply", configFile], undefined, (argv) =>
      inPrivateMounts({ "/etc/ssh": sshDir, "/root": rootDir }, argv),
    ) as Omit<CloudInitApplied, "sshDir" | "dispose">;
    return {
      ...result,
      sshDir,
      dispose: () => rmSync(scratch, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
}
