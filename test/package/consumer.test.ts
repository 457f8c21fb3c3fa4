// This package in a Pulumi project that has not installed @pulumi/azure-native: packed, installed from the
// tarball, type-checked under Pulumi's default tsconfig and under node16, nodenext (CommonJS and ESM) and
// bundler resolution, all strict with skipLibCheck off; then run under Pulumi's mocks and in the real provider
// host started in the project's directory.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ed25519, sshKeygen } from "../support/keys";
import {
  PULUMI_TEMPLATE_TSCONFIG,
  pulumiProjectDependencies,
  scratchProject,
  type ScratchProject,
} from "../support/consumer";
import { OpenSshServer, freePort } from "../../tools/simulator/openssh";
import { opensshSkipReason } from "../support/openssh";
import { ProviderHost } from "../support/provider-host";

/** Uses every entry point, with types that must resolve: a wrong level must be a type error. */
const PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import { SshReadiness, VmWithReadySsh, waitForSsh, type Level, type SshReadinessArgs } from "vm-with-ready-ssh";
import { SshNotReadyError, type WaitForSshOptions } from "vm-with-ready-ssh/readiness";
import { SshReadiness as SshReadinessAgain } from "vm-with-ready-ssh/ssh-readiness";
import { VmWithReadySsh as VmAgain } from "vm-with-ready-ssh/azure";

const level: Level = "command";
// @ts-expect-error: not a level; passes only when the package's types are really there
const wrong: Level = "ready";
export const options: WaitForSshOptions = { host: "127.0.0.1", timeout: "30s", level };
const args: SshReadinessArgs = { host: pulumi.output("127.0.0.1"), timeout: "30s" };
export const same = SshReadiness === SshReadinessAgain && VmWithReadySsh === VmAgain && wrong !== level;
export function readiness(name: string): SshReadiness {
  return new SshReadiness(name, args);
}
export function vm(name: string): VmWithReadySsh {
  return new VmWithReadySsh(name, { location: "westeurope", adminUsername: "azureuser" });
}
export { waitForSsh, SshNotReadyError };
`;

const ESM_PROGRAM = `
import { LEVELS, SshNotReadyError, waitForSsh } from "vm-with-ready-ssh/readiness";
import { SshReadiness } from "vm-with-ready-ssh";
process.stdout.write(JSON.stringify({
  levels: LEVELS,
  waitForSsh: typeof waitForSsh,
  error: typeof SshNotReadyError,
  resource: typeof SshReadiness,
}));
`;

/** The module resolutions checked besides Pulumi's default, and the files each compiles. */
const RESOLUTIONS = [
  ["node16", { module: "node16", moduleResolution: "node16" }, ["program.ts", "esm.mts"]],
  ["nodenext", { module: "nodenext", moduleResolution: "nodenext" }, ["program.ts", "esm.mts"]],
  ["bundler", { module: "esnext", moduleResolution: "bundler" }, ["program.ts"]],
] as const;

const strict = (compilerOptions: object, files: readonly string[]) => ({
  compilerOptions: { strict: true, skipLibCheck: false, target: "es2022", ...compilerOptions },
  files,
});

const RUN_UNDER_MOCKS = `
const pulumi = require("@pulumi/pulumi");
(async () => {
  let provider;
  const types = [];
  await pulumi.runtime.setMocks({
    newResource: (args) => {
      types.push(args.type);
      if (args.type.endsWith(":SshReadiness")) provider = args.inputs.__provider;
      return { id: args.name + "-id", state: args.inputs };
    },
    call: () => { throw new Error("not implemented"); },
  }, "consumer", "test");
  const program = require("./bin/program.js");
  const ready = program.readiness("consumer-ready");
  await new Promise((resolve) => ready.urn.apply(resolve));
  let vmError;
  try { program.vm("consumer-vm"); } catch (error) { vmError = error.message; }
  process.stdout.write(JSON.stringify({ provider, types, same: program.same, vmError }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

/**
 * waitForSsh with an encrypted key from the installed package, counting the decryptions made on this thread
 * (ssh2's parser given a passphrase); prints them and how the wait ended.
 */
const DECRYPT_IN_WORKER = `
const { readFileSync } = require("node:fs");
const { utils } = require("ssh2");
const { waitForSsh } = require("vm-with-ready-ssh/readiness");
const [port, passphrase] = process.argv.slice(2);
let decryptedHere = 0;
const parseKey = utils.parseKey;
utils.parseKey = (data, pass) => {
  if (pass !== undefined) decryptedHere++;
  return parseKey(data, pass);
};
waitForSsh({
  host: "127.0.0.1", port: Number(port), username: "u", level: "auth", timeout: "1s",
  privateKey: readFileSync("key", "utf8"), passphrase,
}).catch((error) => {
  const { name, message } = error;
  const result = name === "InvalidOptionError" ? { decryptedHere, error: name, message } : { decryptedHere, error: name };
  process.stdout.write(JSON.stringify(result));
});
`;

describe("in a Pulumi project without @pulumi/azure-native", () => {
  let project: ScratchProject;
  let ran: { provider: string; types: string[]; same: boolean; vmError?: string };
  /** Each tsconfig's compile: "ok", or tsc's errors. All run at once (tsc is the slow part). */
  let compiled: Record<string, string>;

  before(async () => {
    project = scratchProject("consumer", pulumiProjectDependencies());
    project.write("program.ts", PROGRAM);
    project.write("esm.mts", ESM_PROGRAM);
    project.write("tsconfig.json", JSON.stringify(PULUMI_TEMPLATE_TSCONFIG));
    project.write("run.js", RUN_UNDER_MOCKS);
    for (const [name, options, files] of RESOLUTIONS)
      project.write(`tsconfig.${name}.json`, JSON.stringify(strict(options, [...files])));
    project.write(
      "tsconfig.esm.json",
      JSON.stringify(
        strict({ module: "nodenext", moduleResolution: "nodenext", outDir: "esm" }, ["esm.mts"]),
      ),
    );
    const tsc = join(project.dir, "node_modules/typescript/bin/tsc");
    // Emitting type-checks too: tsc exits non-zero on any error, and the runs below need the output.
    const jobs: [string, Promise<unknown>][] = [
      ["tsconfig.json", project.node(tsc, ["-p", "tsconfig.json"])],
      ["tsconfig.esm.json", project.node(tsc, ["-p", "tsconfig.esm.json"])],
      ...RESOLUTIONS.map(([name]): [string, Promise<unknown>] => [
        `tsconfig.${name}.json`,
        project.typeCheck(`tsconfig.${name}.json`),
      ]),
    ];
    compiled = Object.fromEntries(
      await Promise.all(
        jobs.map(async ([config, job]) => [
          config,
          await job.then(
            () => "ok",
            (error: Error & { stdout?: string }) => `${error.message}\n${error.stdout ?? ""}`,
          ),
        ]),
      ),
    );
    if (compiled["tsconfig.json"] === "ok")
      ran = JSON.parse(await project.node("run.js")) as typeof ran;
  });
  after(() => project.dispose());

  it("publishes the compiled package with its sources, maps, types, CLI, license and 0.1.0's frozen modules, and no tests", () => {
    const files = project.files;
    for (const file of [
      "dist/components/index.js",
      "dist/components/index.d.ts",
      "bin/ssh-ready.js",
    ])
      assert.ok(files.includes(file), file);
    for (const file of ["LICENSE", "README.md", "package.json", "components/index.ts"])
      assert.ok(files.includes(file), file);
    assert.deepEqual(
      files.filter(
        (f) => !/^(dist\/components\/|components\/|bin\/|docs\/|compat\/0\.1\.0\/)/.test(f),
      ),
      ["LICENSE", "README.md", "package.json"],
    );
    const dir = join(project.dir, "node_modules/vm-with-ready-ssh");
    for (const map of files.filter((f) => f.endsWith(".js.map"))) {
      const { sources } = JSON.parse(readFileSync(join(dir, map), "utf8")) as { sources: string[] };
      for (const source of sources)
        assert.ok(files.includes(join(map, "..", source)), `${map} maps to ${source}, not shipped`);
    }
    const license = readFileSync(join(dir, "LICENSE"), "utf8");
    assert.match(license, /Apache License\s+Version 2\.0/);
    assert.equal(
      (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { license: string }).license,
      "Apache-2.0",
    );
  });

  it("keeps every module 0.1.0's stored provider code requires, with the functions that code calls", async () => {
    // What the stored code of 0.1.0's SshReadiness and SshKeyPair calls, by module (read from their state).
    const called: Record<string, string[]> = {
      "ssh-readiness/inputs.js": ["checkInputs", "recordInputs", "toWaitOptions"],
      "ssh-readiness/diff.js": ["diffReadiness"],
      "readiness/options.js": ["checkHost"],
      "readiness/printable.js": ["printable", "printableLines"],
      "readiness/progress.js": ["ProgressPrinter"],
      "readiness/wait.js": ["waitForSsh"],
      "readiness/duration.js": ["formatDuration"],
      "azure/key-generation.js": ["generateKeyPair", "generateEd25519"],
    };
    project.write(
      "compat.js",
      `const called = ${JSON.stringify(called)};
const missing = [];
for (const [path, names] of Object.entries(called)) {
  const mod = require("vm-with-ready-ssh/dist/components/" + path);
  for (const name of names) if (typeof mod[name] !== "function") missing.push(path + " " + name);
}
console.log(JSON.stringify(missing));`,
    );
    assert.deepEqual(JSON.parse(await project.node("compat.js")), []);
  });

  it("type-checks under Pulumi's default tsconfig (commonjs, node resolution, no skipLibCheck)", () => {
    assert.equal(compiled["tsconfig.json"], "ok");
  });

  for (const [name] of RESOLUTIONS) {
    it(`type-checks with ${name} resolution, strict, skipLibCheck off`, () => {
      assert.equal(compiled[`tsconfig.${name}.json`], "ok");
    });
  }

  it("loads from an ES module, every entry point with its named exports", async () => {
    assert.equal(compiled["tsconfig.esm.json"], "ok");
    assert.deepEqual(JSON.parse(await project.node("esm/esm.mjs")), {
      levels: ["tcp", "banner", "auth", "command"],
      waitForSsh: "function",
      error: "function",
      resource: "function",
    });
  });

  it("decrypts an encrypted key in a worker thread, never on the caller's, from the installed files", async () => {
    const key = sshKeygen("ed25519", { passphrase: "right", rounds: 64 });
    project.write("key", key.private);
    project.write("decrypt.js", DECRYPT_IN_WORKER);
    const port = String(await freePort());
    const wait = async (passphrase: string) =>
      JSON.parse(await project.node("decrypt.js", [port, passphrase])) as Record<string, unknown>;
    // A closed port: the wait starts (the key decrypted) and ends at its deadline.
    assert.deepEqual(await wait("right"), { decryptedHere: 0, error: "SshNotReadyError" });
    assert.deepEqual(await wait("wrong"), {
      decryptedHere: 0,
      error: "InvalidOptionError",
      message: "[passphrase] does not decrypt [privateKey] (wrong passphrase?)",
    });
  });

  it("runs SshReadiness from the package root; every entry point is the same module", () => {
    assert.equal(ran.same, true);
    assert.ok(ran.types.some((t) => t.endsWith(":SshReadiness")));
  });

  it("says in one line what to install when VmWithReadySsh is used, before registering anything", () => {
    assert.equal(
      ran.vmError,
      "VmWithReadySsh needs the @pulumi/azure-native package: install it in your Pulumi project with `npm install @pulumi/azure-native`",
    );
    assert.ok(!ran.types.some((t) => t.includes("VmWithReadySsh")), ran.types.join(", "));
  });

  it("stores a provider whose only require is the package's stable entry point", () => {
    const requires = [...ran.provider.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(requires)], ["vm-with-ready-ssh/dynamic-providers"]);
    assert.doesNotMatch(
      ran.provider,
      /sshd not listening yet/,
      "the engine's text is not copied in",
    );
  });

  describe(
    "the stored provider in the provider host started in the project's directory",
    { skip: opensshSkipReason() },
    () => {
      let host: ProviderHost;
      let sshd: OpenSshServer;
      const user = ed25519();
      before(async () => {
        sshd = new OpenSshServer();
        sshd.authorize(user.public);
        await sshd.start();
        host = await ProviderHost.start(project.dir, "consumer");
        await host.configure();
      });
      after(async () => {
        await host.stop();
        await sshd.dispose();
      });

      it("creates (waits for the real sshd), refreshes without probing and deletes", async () => {
        const created = await host.create("consumer-ready", {
          __provider: ran.provider,
          label: "consumer-ready",
          host: "127.0.0.1",
          port: sshd.port,
          username: sshd.user,
          privateKey: user.private,
          timeout: 30,
        });
        assert.equal(created.properties.hostKey, sshd.hostKeyPublic);
        assert.ok(host.lines.some((l) => l.startsWith("[consumer-ready] ready at level auth")));
        await sshd.stop();
        const read = await host.read("consumer-ready", created.id, created.properties);
        assert.equal(read.properties.hostKey, sshd.hostKeyPublic);
        await host.delete("consumer-ready", created.id, created.properties);
      });
    },
  );
});
