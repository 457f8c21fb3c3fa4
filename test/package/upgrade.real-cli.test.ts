// Upgrading this package under an existing stack, with the real Pulumi CLI: a stack made with each release that
// was ever on main (packed from git history), then the current package in its place. Pulumi runs the provider
// code each resource stored, so the first preview, an up that replaces what a readiness check depends on, a
// refresh and a destroy all run old code against the new package.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { OpenSshServer } from "../../tools/simulator/openssh";
import {
  REPO,
  installedVersion,
  npm,
  scratchProject,
  type ScratchProject,
} from "../support/consumer";
import { ed25519 } from "../support/keys";
import { opensshSkipReason } from "../support/openssh";
import { PulumiStack, pulumiCliSkipReason } from "../support/pulumi-cli";

/** Every commit of main that was a release, and what it was. */
const RELEASES: [string, string][] = [
  ["0.1.0", "e07c8bc"],
  ["0.1.0", "270ca64"],
  ["0.2.0", "23df499"],
];

const user = ed25519();

/** A user's program as each release documents it: a stand-in VM, two checks (one frozen) and a key pair. */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { SshReadiness } = require("vm-with-ready-ssh/ssh-readiness");
const config = new pulumi.Config();
// Stands in for the VM (azure-native cannot run here): replaced delete-before-replace, as a VM is.
const vmProvider = {
  async create(inputs) {
    return { id: "vm-" + inputs.generation, outs: { generation: inputs.generation, vmId: "vm-" + inputs.generation } };
  },
  async diff(_id, olds, news) {
    const changed = olds.generation !== news.generation;
    return { changes: changed, replaces: changed ? ["generation"] : [], deleteBeforeReplace: true };
  },
  async delete() {},
};
class StandInVm extends pulumi.dynamic.Resource {
  constructor(name, args, opts) { super(vmProvider, name, { ...args, vmId: undefined }, opts); }
}
const vm = new StandInVm("vm", { generation: config.get("generation") || "1" });
const login = {
  host: "127.0.0.1",
  port: config.requireNumber("port"),
  username: config.require("user"),
  privateKey: config.requireSecret("sshPrivateKey"),
  level: "auth",
  timeout: "60s",
};
new SshReadiness("ready", { ...login, triggers: [vm.vmId] });
// The image stack freezes its build resources this way: Pulumi keeps every old input, stored code included.
new SshReadiness("frozen", { ...login, triggers: ["build-1"] }, { ignoreChanges: ["*"] });
// VmWithReadySsh's host and admin keys.
const { SshKeyPair } = require("vm-with-ready-ssh/azure");
new SshKeyPair("host-key", { comment: "vm" });
`;

/** A release's package as npm would publish it, built from git history once and cached. */
function releaseTarball(commit: string): string {
  const cache = join(
    process.env.VM_WITH_READY_SSH_CACHE ?? join(homedir(), ".cache", "vm-with-ready-ssh"),
    "releases",
  );
  const tarball = join(cache, `${commit}.tgz`);
  if (existsSync(tarball)) return tarball;
  mkdirSync(cache, { recursive: true });
  const source = mkdtempSync(join(tmpdir(), `ssh-ready-release-${commit}-`));
  try {
    execFileSync("bash", ["-c", `git -C "${REPO}" archive ${commit} | tar -x -C "${source}"`]);
    // Its own lockfile, and its own build (npm ci runs its prepare script).
    npm(["ci", "--no-audit", "--no-fund"], source);
    const packed = npm(["pack", "--ignore-scripts", "--pack-destination", source], source)
      .trim()
      .split("\n")
      .at(-1)!;
    renameSync(join(source, packed), tarball);
    return tarball;
  } finally {
    rmSync(source, { recursive: true, force: true });
  }
}

/** Puts a packed release where npm installs this package, as an upgrade (or a downgrade) of it does. */
function install(project: ScratchProject, tarball: string): void {
  const dir = join(project.dir, "node_modules", "vm-with-ready-ssh");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  execFileSync("tar", ["-xzf", tarball, "--strip-components=1", "-C", dir]);
}

/** Whether this clone holds the releases' commits (a shallow clone does not). */
function historySkipReason(): string | false {
  const missing = RELEASES.filter(([, commit]) => {
    try {
      execFileSync("git", ["-C", REPO, "cat-file", "-e", `${commit}^{commit}`], {
        stdio: "ignore",
      });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return false;
  const notice = `SKIPPED: this clone lacks release commits ${missing.map(([, c]) => c).join(", ")}; clone with full history to run the upgrade tests`;
  if (process.env.CI === "true") throw new Error(notice.replace("SKIPPED: ", ""));
  process.stderr.write(`\n*** ${notice} ***\n\n`);
  return notice;
}

describe(
  "upgrading under a stack made with each release, with the real Pulumi CLI",
  { skip: opensshSkipReason() || pulumiCliSkipReason() || historySkipReason() },
  () => {
    let sshd: OpenSshServer;
    const tarballs = new Map<string, string>();

    before(async () => {
      // Built here, not in the tests: a release's first build (its own npm ci) takes a minute or two.
      for (const [, commit] of RELEASES) tarballs.set(commit, releaseTarball(commit));
      sshd = new OpenSshServer();
      sshd.authorize(user.public);
      await sshd.start();
    });
    after(() => sshd?.dispose());

    for (const [version, commit] of RELEASES) {
      it(`${version} (${commit}): refresh, preview, an up that replaces the VM, refresh and destroy all succeed`, async () => {
        const old = tarballs.get(commit)!;
        const project = scratchProject(`upgrade-${commit}`, {
          "@pulumi/pulumi": installedVersion("@pulumi/pulumi"),
          // vm-with-ready-ssh/azure loads it, for SshKeyPair too.
          "@pulumi/azure-native": installedVersion("@pulumi/azure-native"),
        });
        const stack = new PulumiStack(project.dir);
        try {
          install(project, old);
          project.write("Pulumi.yaml", `name: upgrade-${commit}\nruntime: nodejs\n`);
          project.write("index.js", PROGRAM);
          await stack.init();
          await stack.run(["config", "set", "port", String(sshd.port)]);
          await stack.run(["config", "set", "user", sshd.user]);
          await stack.run(["config", "set", "--secret", "sshPrivateKey"], user.private);
          const created = await stack.run(["up", "--yes"]);
          assert.match(created.stdout, /5 created/);

          install(project, project.tarball);
          // A refresh first runs every resource's stored code, before any up could store new code.
          await stack.run(["refresh", "--yes"]);
          await stack.run(["preview"]);
          await stack.run(["config", "set", "generation", "2"]);
          const upgraded = await stack.run(["up", "--yes"]);
          assert.match(upgraded.stdout, /2 replaced/, upgraded.stdout);
          await stack.run(["refresh", "--yes"]);
          const destroyed = await stack.run(["destroy", "--yes"]);
          assert.match(destroyed.stdout, /5 deleted/);
        } finally {
          stack.dispose();
          project.dispose();
        }
      });
    }
  },
);
