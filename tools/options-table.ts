// The readiness options' table in docs/library.md, written from the spec (components/readiness/spec.ts):
// `npm run docs:options` rewrites it; test/readiness/spec.test.ts fails when the docs and the spec differ.
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import * as prettier from "prettier";
import { flagOf, OPTION_SPECS, type OptionSpec } from "../components/readiness/spec";

export const BEGIN =
  "<!-- options table: written from components/readiness/spec.ts by `npm run docs:options` -->";
export const END = "<!-- end of options table -->";
export const LIBRARY_DOC = resolve(__dirname, "../../docs/library.md");

const TYPE_WORDS: Record<OptionSpec["type"], string> = {
  host: "host name or IP",
  port: "integer 1–65535",
  user: "user name",
  key: "private key text",
  passphrase: "string",
  level: "`tcp`, `banner`, `auth`, `command`",
  command: "shell command",
  bootId: "boot id",
  pins: "pin or list of pins",
  targetPins: "pin or list of pins",
  duration: "seconds or duration",
  path: "file path",
  vmId: "resource ID",
  jumpHost: "object",
};

function cliWords(spec: OptionSpec): string {
  const { cli } = spec;
  if ("flag" in cli) return `${cli.short ? `\`-${cli.short}\`, ` : ""}\`--${cli.flag}\``;
  if ("positional" in cli) return `\`${cli.positional}\``;
  if ("env" in cli) return `\`${cli.env}\``;
  const owner = flagOf(spec)!;
  return `in ${owner.short ? `\`-${owner.short}\`` : `\`--${owner.flag}\``}`;
}

/** The Markdown table, one row per option, in the spec's order. */
export function optionsTable(specs: readonly OptionSpec[] = OPTION_SPECS): string {
  const rows = specs.map((spec) => [
    `\`${spec.name}\``,
    TYPE_WORDS[spec.type],
    spec.component?.defaultText && spec.component.defaultText !== spec.defaultText
      ? `${spec.defaultText} (\`VmWithReadySsh\`: ${spec.component.defaultText})`
      : spec.defaultText,
    cliWords(spec),
    spec.name.startsWith("jumpHost.")
      ? "(with `jumpHost`)"
      : spec.recordedAs === false
        ? "(with the key it decrypts)"
        : spec.change === "replace"
          ? "waits again"
          : "updates",
    `${spec.doc}${spec.secret ? " Always stored as a secret." : ""}`,
  ]);
  const header = [
    "option",
    "type",
    "default",
    "`ssh-ready`",
    "`SshReadiness` on change",
    "meaning",
  ];
  return [header, header.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

/** `text` with the table between its markers replaced. */
export function withTable(text: string, table = optionsTable()): string {
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`docs/library.md has no ${BEGIN} … ${END}`);
  return `${text.slice(0, begin + BEGIN.length)}\n\n${table}\n\n${text.slice(end)}`;
}

/** Rewrites the table in docs/library.md, formatted as the repository's Prettier formats Markdown. */
async function main(): Promise<void> {
  const text = withTable(readFileSync(LIBRARY_DOC, "utf8"));
  const options = (await prettier.resolveConfig(LIBRARY_DOC)) ?? {};
  writeFileSync(LIBRARY_DOC, await prettier.format(text, { ...options, filepath: LIBRARY_DOC }));
  console.log("docs/library.md: the options table, written from the spec");
}

if (require.main === module) void main();
