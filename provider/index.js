// Pulumi's Node language host requires this folder and calls the function it exports: the plugin then serves
// SshReadiness, SshKeyPair and VmWithReadySsh (components/plugin) from the package built one folder up.
"use strict";
module.exports = () => require("../dist/components/plugin/main.js").serve(process.argv.slice(2));
