// This package as a user gets it: packed as npm would publish it, installed into scratch projects from npm's
// cache (`--offline`: a warm cache, as after `npm ci` here, is all it needs; no registry).
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

export const REPO = resolve(__dirname, "../../..");

export function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync("npm", args, {
      cwd,
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 300_000,
    });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    if (stderr?.includes("ENOTCACHED")) {
      throw new Error(
        `npm ${args.join(" ")}: a package is not in npm's cache; run \`npm ci\` here first`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}

/** The version of a package installed in this repository: the one npm's cache holds. */
export function installedVersion(name: string): string {
  const file = join(REPO, "node_modules", name, "package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

/** Packs this repository as `npm publish` would (the compiled dist/ must be current: `npm test` builds first). */
export function pack(into: string): { tarball: string; files: string[] } {
  const [packed] = JSON.parse(
    npm(["pack", "--json", "--ignore-scripts", "--pack-destination", into], REPO),
  ) as { filename: string; files: { path: string }[] }[];
  return { tarball: join(into, packed.filename), files: packed.files.map((f) => f.path) };
}

export interface ScratchProject {
  dir: string;
  tarball: string;
  files: string[];
  write(name: string, text: string): void;
  /** `node file` in the project; resolves with stdout, rejects with the output on a non-zero exit. */
  node(file: string, args?: string[]): Promise<string>;
  /** The project's `tsc` on a config file, type-checking only; resolves with its output. */
  typeCheck(config: string): Promise<string>;
  dispose(): void;
}

/** A scratch project with this package (from a fresh tarball) and the given other packages, installed. */
export function scratchProject(
  prefix: string,
  dependencies: Record<string, string>,
  extra: Record<string, unknown> = {},
): ScratchProject {
  const dir = mkdtempSync(join(tmpdir(), `ssh-ready-${prefix}-`));
  const { tarball, files } = pack(dir);
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: prefix,
      private: true,
      ...extra,
      dependencies: { "vm-with-ready-ssh": `file:${tarball}`, ...dependencies },
    }),
  );
  npm(["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], dir);
  const run = promisify(execFile);
  return {
    dir,
    tarball,
    files,
    write: (name, text) => writeFileSync(join(dir, name), text),
    async node(file, args = []) {
      const { stdout } = await run(process.execPath, [file, ...args], {
        cwd: dir,
        encoding: "utf8",
      });
      return stdout;
    },
    async typeCheck(config) {
      const tsc = join(dir, "node_modules/typescript/bin/tsc");
      try {
        const { stdout } = await run(process.execPath, [tsc, "-p", config, "--noEmit"], {
          cwd: dir,
          encoding: "utf8",
        });
        return stdout;
      } catch (error) {
        const { stdout, stderr } = error as { stdout?: string; stderr?: string };
        throw new Error(`tsc -p ${config} failed:\n${stdout ?? ""}${stderr ?? ""}`, {
          cause: error,
        });
      }
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Pulumi's TypeScript template's tsconfig.json (no skipLibCheck: the package's declarations are checked). */
export const PULUMI_TEMPLATE_TSCONFIG = {
  compilerOptions: {
    strict: true,
    outDir: "bin",
    target: "es2020",
    module: "commonjs",
    moduleResolution: "node",
    sourceMap: true,
    experimentalDecorators: true,
    pretty: true,
    noFallthroughCasesInSwitch: true,
    noImplicitReturns: true,
    forceConsistentCasingInFileNames: true,
  },
  files: ["program.ts"],
};

/** What a TypeScript Pulumi project has, at the versions npm's cache holds; `extra` names more packages. */
export function pulumiProjectDependencies(...extra: string[]): Record<string, string> {
  return Object.fromEntries(
    ["@pulumi/pulumi", "typescript", "@types/node", ...extra].map((name) => [
      name,
      installedVersion(name),
    ]),
  );
}
