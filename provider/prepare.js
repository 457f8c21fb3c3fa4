// Runs when Pulumi installs this folder's dependencies (`npm install` here, for `pulumi package add`): the
// plugin runs the package built one folder up, so a fresh clone is installed and built there first.
"use strict";
const { execFileSync } = require("node:child_process");
const { existsSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..");
const npm = (args) => execFileSync("npm", args, { cwd: root, stdio: "inherit" });
if (!existsSync(join(root, "node_modules", "@pulumi", "pulumi")))
  npm(["ci", "--no-audit", "--no-fund"]);
if (!existsSync(join(root, "dist", "components", "plugin", "schema.json"))) npm(["run", "build"]);
