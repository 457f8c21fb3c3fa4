// The CLI and the engine without Pulumi: installed from the packed tarball into an empty project and globally
// (the ways the README documents), they run with no Pulumi package on disk.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { npm, REPO, scratchProject, type ScratchProject } from "../support/consumer";

const run = promisify(execFile);
const { version } = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
  version: string;
};

describe("the CLI and the engine, installed without Pulumi", () => {
  let project: ScratchProject;
  let listener: Server;
  let port: number;

  before(async () => {
    project = scratchProject("cli-only", {});
    listener = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    port = (listener.address() as { port: number }).port;
  });
  after(async () => {
    project.dispose();
    await new Promise((resolve) => listener.close(resolve));
  });

  /** The installed command, waiting for this test's listener at level tcp: the level it reports ready at. */
  async function waitsForTheListener(bin: string): Promise<string> {
    const args = ["127.0.0.1", "-p", String(port), "--level", "tcp", "--timeout", "10s", "--json"];
    const { stdout } = await run(bin, args);
    return (JSON.parse(stdout) as { level: string }).level;
  }

  it("installs no Pulumi package", () => {
    const modules = join(project.dir, "node_modules");
    assert.equal(existsSync(join(modules, "@pulumi")), false, readdirSync(modules).join(", "));
    assert.ok(existsSync(join(modules, "ssh2")));
  });

  it("runs ssh-ready from the project's node_modules/.bin", async () => {
    const { stdout } = await run(join(project.dir, "node_modules/.bin/ssh-ready"), ["--version"]);
    assert.equal(stdout.trim(), version);
  });

  it("runs the engine from vm-with-ready-ssh/readiness", async () => {
    project.write(
      "wait.js",
      `const { waitForSsh } = require("vm-with-ready-ssh/readiness");
waitForSsh({ host: "127.0.0.1", port: Number(process.argv[2]), level: "tcp", timeout: "10s" })
  .then((result) => process.stdout.write(result.level));`,
    );
    assert.equal(await project.node("wait.js", [String(port)]), "tcp");
  });

  // Installs with no lockfile resolve ssh2's and yaml's versions as a user's do, from the registry's package
  // documents: npm's cache answers when it holds them (`--prefer-offline`), else the registry does, once.
  it("installs globally from the tarball, as the README says, and waits", async () => {
    const prefix = join(project.dir, "global");
    npm(
      [
        "install",
        "--global",
        "--prefix",
        prefix,
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        project.tarball,
      ],
      project.dir,
    );
    assert.equal(existsSync(join(prefix, "lib/node_modules/@pulumi")), false);
    assert.equal(await waitsForTheListener(join(prefix, "bin/ssh-ready")), "tcp");
  });

  it("installs from a git URL into a project (npm builds it from source on install), and waits", async () => {
    // What the README documents for git; npm clones the repository's HEAD (the commit, not this work tree),
    // installs its dev dependencies from the cache, builds and packs it.
    const dir = join(project.dir, "from-git");
    mkdirSync(dir);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "from-git", private: true }));
    npm(["install", "--prefer-offline", "--no-audit", "--no-fund", `git+file://${REPO}`], dir);
    assert.equal(existsSync(join(dir, "node_modules/@pulumi")), false);
    assert.equal(await waitsForTheListener(join(dir, "node_modules/.bin/ssh-ready")), "tcp");
  });
});
