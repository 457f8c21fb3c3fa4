// The provider plugin from a fresh clone, as `pulumi package add <clone>/provider` gets it: Pulumi installs the
// plugin folder's dependencies (`npm install` there), whose prepare step installs and builds the package one
// folder up; then the language host runs the plugin. The clone is of the repository's HEAD (the commit).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { ProviderHost } from "../support/provider-host";

const REPO = resolve(__dirname, "../../..");
const built = "dist/components/plugin/schema.json";

describe("the provider plugin from a fresh clone", () => {
  const dir = mkdtempSync(join(tmpdir(), "ssh-ready-clone-"));
  const clone = join(dir, "vm-with-ready-ssh");
  // The packages come from the cache this repository's `npm ci` filled, the registry only for what it lacks.
  const npmInstall = () =>
    execFileSync("npm", ["install", "--no-audit", "--no-fund"], {
      cwd: join(clone, "provider"),
      env: { ...process.env, npm_config_prefer_offline: "true" },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 300_000,
    });

  before(() => {
    execFileSync("git", ["clone", "--quiet", REPO, clone]);
    npmInstall();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is installed and built by `npm install` in its folder, and then serves the schema", async () => {
    assert.ok(existsSync(join(clone, built)), "the package one folder up is built");
    // Pulumi (v3.276.0) stops `pulumi package add` when npm install leaves no node_modules in the folder.
    assert.ok(existsSync(join(clone, "provider", "node_modules")), "provider/node_modules exists");
    const plugin = await ProviderHost.startPlugin(
      join(clone, "provider"),
      mkdtempSync(join(dir, "program-")),
    );
    try {
      // The clone is the commit; the work tree's schema may be newer, so only its identity is compared.
      const clonedVersion = (
        JSON.parse(readFileSync(join(clone, "package.json"), "utf8")) as { version: string }
      ).version;
      const schema = (await plugin.schema()) as {
        name: string;
        version: string;
        resources: object;
      };
      assert.equal(schema.name, "vm-with-ready-ssh");
      assert.equal(schema.version, clonedVersion);
      assert.deepEqual(Object.keys(schema.resources).sort(), [
        "vm-with-ready-ssh:azure:NicRelease",
        "vm-with-ready-ssh:azure:SshKeyPair",
        "vm-with-ready-ssh:azure:VmWithReadySsh",
        "vm-with-ready-ssh:index:SshReadiness",
      ]);
    } finally {
      await plugin.stop();
    }
  });

  it("builds nothing again on the next install", () => {
    const first = statSync(join(clone, built)).mtimeMs;
    npmInstall();
    assert.equal(statSync(join(clone, built)).mtimeMs, first);
  });
});
