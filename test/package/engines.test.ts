// A clone on a Node.js older than the package needs: `npm ci` stops before it downloads anything, naming the
// version it needs (npm's own engine-strict, set in the repository's .npmrc), instead of failing in the build
// a minute later. Node 20 comes from the npm registry's `node` package, as .ci/run gets Node 24, so this runs
// whatever Node the machine has.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { npm, REPO } from "../support/consumer";
import { scratchDir } from "../support/scratch";

describe("npm ci on a Node.js older than 22", () => {
  it("stops before any download, naming the version the package needs", () => {
    const dir = scratchDir("ssh-ready-engines-");
    const old = join(dir, "node20");
    npm(
      [
        "install",
        "--prefix",
        old,
        "--no-save",
        "--no-package-lock",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        "node@20",
      ],
      dir,
    );
    const clone = join(dir, "clone");
    mkdirSync(clone);
    for (const file of ["package.json", "package-lock.json", ".npmrc"])
      copyFileSync(join(REPO, file), join(clone, file));
    const bin = join(old, "node_modules/node/bin");
    const run = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], {
      cwd: clone,
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        npm_config_cache: join(dir, "cache"),
      },
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.notEqual(run.status, 0, run.stdout);
    assert.match(run.stderr, /npm error code EBADENGINE/);
    assert.match(run.stderr, /Required: \{"node":">=22"\}/);
    assert.match(run.stderr, /Actual: +\{"node":"v20\.\d+\.\d+"/);
    // Nothing was fetched or installed: an empty cache of its own stays without packages.
    assert.ok(!existsSync(join(clone, "node_modules")), "no node_modules");
    assert.ok(!existsSync(join(dir, "cache", "_cacache")), "nothing downloaded");
  });
});
