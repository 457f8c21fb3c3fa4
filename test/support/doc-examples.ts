// The code examples of README.md and docs/*.md, read from the Markdown itself: TypeScript blocks compiled as
// a user's program would be (importing "vm-with-ready-ssh" by name, strict), and `ssh-ready` command lines
// parsed by the CLI's own parser.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import ts from "typescript";

export const REPO = resolve(__dirname, "../../..");

export interface CodeBlock {
  file: string;
  /** Line of the opening fence, 1-based. */
  line: number;
  lang: string;
  code: string;
}

/** README.md and every page under docs/. */
export function docFiles(): string[] {
  const docs = readdirSync(join(REPO, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => join("docs", f));
  return ["README.md", ...docs.sort()];
}

export function codeBlocks(file: string): CodeBlock[] {
  const lines = readFileSync(join(REPO, file), "utf8").split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.indexOf("```", i + 1);
    if (end < 0) throw new Error(`${file}:${i + 1}: unclosed code block`);
    blocks.push({ file, line: i + 1, lang: open[1], code: lines.slice(i + 1, end).join("\n") });
    i = end;
  }
  return blocks;
}

/** Where a block's program is written: inside the package, so "vm-with-ready-ssh" resolves to it by name. */
export function exampleName(block: CodeBlock): string {
  return `${basename(block.file, ".md").toLowerCase()}-${block.line}`;
}

/**
 * Compiles TypeScript blocks as programs of their own (node16 modules, strict, no skipLibCheck) into
 * dist/doc-examples/; returns each block's errors, formatted, and where its JavaScript is.
 */
export function compileBlocks(
  blocks: CodeBlock[],
): { block: CodeBlock; errors: string[]; js: string }[] {
  const dir = join(REPO, "dist", "doc-examples");
  mkdirSync(dir, { recursive: true });
  const files = blocks.map((block) => {
    const file = join(dir, `${exampleName(block)}.ts`);
    writeFileSync(file, block.code);
    return file;
  });
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    types: ["node"],
    outDir: dir,
    rootDir: dir,
  });
  program.emit();
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => REPO,
    getNewLine: () => "\n",
  };
  const all = ts.getPreEmitDiagnostics(program);
  return blocks.map((block, i) => ({
    block,
    errors: all
      .filter((d) => d.file === undefined || resolve(d.file.fileName) === files[i])
      .map((d) => ts.formatDiagnostic(d, host).trim()),
    js: files[i].replace(/\.ts$/, ".js"),
  }));
}

/** The `ssh-ready …` command lines of a shell block, as argument lists (simple quoting only). */
export function sshReadyCommands(block: CodeBlock): string[][] {
  return block.code
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^(npx )?ssh-ready\s/.test(l))
    .map((l) => {
      const words = [...l.replace(/^npx /, "").matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => ({
        word: m[1] ?? m[2] ?? m[3],
        quoted: m[3] === undefined,
      }));
      // The command ends where the shell's operators begin: a redirection, a pipe, `&&`, `;`.
      const end = words.findIndex((w) => !w.quoted && /^(>|>>|\||&&|\|\||;|2>)/.test(w.word));
      return words.slice(1, end < 0 ? undefined : end).map((w) => w.word);
    });
}
