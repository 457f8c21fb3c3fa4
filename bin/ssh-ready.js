#!/usr/bin/env node
// ssh-ready: wait until an SSH server really answers. See `ssh-ready --help`.
require("../dist/components/cli/ssh-ready.js").main();
