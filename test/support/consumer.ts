// This package as a user gets it: packed as npm would publish it, installed into scratch projects offline. A
// scratch project's lockfile is cut from this repository's, so `npm ci --offline` finds every package in the
// cache that this repository's own `npm ci` filled: no registry, and the versions the repository tested.
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
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
        `npm ${args.join(" ")}: a package is not in npm's cache; run \`npm ci\` in ${REPO} first`,
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

type LockEntry = {
  version?: string;
  dev?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
};

/** This repository's lockfile: where each package sits in node_modules, at what version. */
function repositoryLock(): Record<string, LockEntry> {
  const lock = JSON.parse(readFileSync(join(REPO, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  return lock.packages;
}

/**
 * The part of this repository's lockfile that `roots` need, as Node resolves them (a package's own nested
 * node_modules first, then each folder up): their dependencies, optional ones and required peers, all the
 * way down. Every package keeps the place it has here, so the tree stays one npm made and tested.
 */
export function lockSubset(
  packages: Record<string, LockEntry>,
  roots: string[],
): Record<string, LockEntry> {
  const found = (from: string, name: string): string | undefined => {
    for (let base = from; ; base = base.slice(0, Math.max(0, base.lastIndexOf("/node_modules/")))) {
      const at = `${base ? `${base}/` : ""}node_modules/${name}`;
      if (packages[at]) return at;
      if (!base) return undefined;
    }
  };
  const subset: Record<string, LockEntry> = {};
  const queue: [string, string][] = roots.map((name) => ["", name]);
  for (let next = queue.shift(); next; next = queue.shift()) {
    const at = found(...next);
    if (!at)
      throw new Error(
        `${next[1]} (needed by ${next[0] || "the project"}) is not in package-lock.json`,
      );
    if (subset[at]) continue;
    // A development package here is a dependency there.
    const entry = { ...packages[at] };
    delete entry.dev;
    subset[at] = entry;
    const optionalPeer = (name: string) => entry.peerDependenciesMeta?.[name]?.optional === true;
    const names = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}).filter((name) => found(at, name)),
      ...Object.keys(entry.peerDependencies ?? {}).filter((name) => !optionalPeer(name)),
    ];
    for (const name of names) queue.push([at, name]);
  }
  return subset;
}

/** A scratch project with this package (from a fresh tarball) and the given other packages, installed. */
export function scratchProject(
  prefix: string,
  dependencies: Record<string, string>,
  extra: Record<string, unknown> = {},
): ScratchProject {
  const dir = mkdtempSync(join(tmpdir(), `ssh-ready-${prefix}-`));
  const { tarball, files } = pack(dir);
  const allDependencies = { "vm-with-ready-ssh": `file:${tarball}`, ...dependencies };
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: prefix, private: true, ...extra, dependencies: allDependencies }),
  );
  const packages = repositoryLock();
  const self = packages[""];
  const packed: LockEntry = {
    version: self.version,
    resolved: `file:${basename(tarball)}`,
    integrity: `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`,
    license: self.license,
    dependencies: self.dependencies,
    bin: self.bin,
    engines: self.engines,
    peerDependencies: self.peerDependencies,
    peerDependenciesMeta: self.peerDependenciesMeta,
  };
  writeFileSync(
    join(dir, "package-lock.json"),
    JSON.stringify({
      name: prefix,
      lockfileVersion: 3,
      requires: true,
      packages: {
        "": { name: prefix, dependencies: allDependencies },
        "node_modules/vm-with-ready-ssh": packed,
        ...lockSubset(packages, [
          ...Object.keys(dependencies),
          ...Object.keys(self.dependencies ?? {}),
        ]),
      },
    }),
  );
  npm(["ci", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], dir);
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
