// The plugin's version: the package's own, read from its package.json (three folders up from the compiled
// dist/components/plugin), so the schema, the plugin's info and its resources' default provider agree.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const PLUGIN_VERSION = (
  JSON.parse(readFileSync(join(__dirname, "../../../package.json"), "utf8")) as { version: string }
).version;
