// Runs before every build (plain JavaScript: it must run before TypeScript does). Says in one line when Node
// is too old, instead of a failure further on; then empties dist/ so compiled copies of deleted files (tests
// among them) never run or ship.
"use strict";
const { rmSync } = require("node:fs");
const { join } = require("node:path");

const REQUIRED_MAJOR = 22;
const major = Number(process.versions.node.split(".")[0]);
if (major < REQUIRED_MAJOR) {
  console.error(
    `vm-with-ready-ssh needs Node.js ${REQUIRED_MAJOR} or newer, and this is Node.js ${process.versions.node}: install a newer Node.js and run the command again.`,
  );
  process.exit(1);
}
rmSync(join(__dirname, "..", "dist"), { recursive: true, force: true });
