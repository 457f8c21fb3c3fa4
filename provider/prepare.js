// Runs when Pulumi installs this folder's dependencies (`npm install` here, for `pulumi package add`): the
// plugin runs the package built one folder up, so a fresh clone is installed and built there first.
"use strict";
const { execFileSync } = require("node:child_process");
const { existsSync, mkdirSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..");
const npm = (args) => execFileSync("npm", args, { cwd: root, stdio: "inherit" });
if (!existsSync(join(root, "node_modules", "@pulumi", "pulumi")))
  npm(["ci", "--no-audit", "--no-fund"]);
if (!existsSync(join(root, "dist", "components", "plugin", "schema.json"))) npm(["run", "build"]);
// The plugin has no dependencies of its own, so npm makes no node_modules here; Pulumi (v3.276.0) takes a
// missing node_modules after `npm install` for a failed install and stops `pulumi package add`.
mkdirSync(join(__dirname, "node_modules"), { recursive: true });
