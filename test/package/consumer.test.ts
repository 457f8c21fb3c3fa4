// This package as a dependency: packed, installed into a scratch project, used there under mocks; the
// provider it serializes must require this package (not copy it) and run in the real provider host started
// in the consumer's directory.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { ed25519 } from "../support/keys";
import { OpenSshServer, opensshSkipReason } from "../../tools/simulator/openssh";
import { ProviderHost } from "../support/provider-host";

const root = resolve(__dirname, "../../..");
const npm = (args: string[], cwd: string) =>
  execFileSync("npm", args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 300_000,
  });

const CONSUMER_PROGRAM = `
const pulumi = require("@pulumi/pulumi");
(async () => {
  let provider;
  await pulumi.runtime.setMocks({
    newResource: (args) => {
      if (args.type.endsWith(":SshReadiness")) provider = args.inputs.__provider;
      return { id: args.name + "-id", state: args.inputs };
    },
    call: () => { throw new Error("not implemented"); },
  }, "consumer", "test");
  const { SshReadiness } = require("vm-with-ready-ssh/ssh-readiness");
  const ready = new SshReadiness("consumer-ready", { host: "127.0.0.1" });
  await new Promise((resolve) => ready.urn.apply(resolve));
  process.stdout.write(JSON.stringify({ provider }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

describe("as a dependency of another project", () => {
  const dir = mkdtempSync(join(tmpdir(), "ssh-ready-consumer-"));
  let provider: string;

  before(() => {
    const packed = JSON.parse(
      npm(["pack", "--json", "--ignore-scripts", "--pack-destination", dir], root),
    ) as {
      filename: string;
      files: { path: string }[];
    }[];
    const tarball = join(dir, packed[0].filename);
    const { version: pulumiVersion } = JSON.parse(
      readFileSync(join(root, "node_modules/@pulumi/pulumi/package.json"), "utf8"),
    ) as { version: string };
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({
        name: "consumer",
        private: true,
        dependencies: { "vm-with-ready-ssh": `file:${tarball}`, "@pulumi/pulumi": pulumiVersion },
      }),
    );
    npm(["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts"], dir);
    writeFileSync(join(dir, "program.js"), CONSUMER_PROGRAM);
    provider = (
      JSON.parse(
        execFileSync(process.execPath, ["program.js"], { cwd: dir, encoding: "utf8" }),
      ) as { provider: string }
    ).provider;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("publishes the compiled components, their types and the CLI, and nothing else", () => {
    const files = (
      JSON.parse(npm(["pack", "--dry-run", "--json", "--ignore-scripts"], root)) as {
        files: { path: string }[];
      }[]
    )[0].files.map((f) => f.path);
    assert.ok(
      files.includes("dist/components/index.js") && files.includes("dist/components/index.d.ts"),
    );
    assert.ok(
      files.includes("bin/ssh-ready.js") &&
        files.includes("package.json") &&
        files.includes("README.md"),
    );
    assert.deepEqual(
      files.filter(
        (f) =>
          !f.startsWith("dist/components/") &&
          !["bin/ssh-ready.js", "package.json", "README.md"].includes(f),
      ),
      [],
    );
  });

  it("serializes a provider that requires the installed package instead of copying its code", () => {
    assert.match(provider, /require\("vm-with-ready-ssh\/dist\/components\/[\w/-]+\.js"\)/);
    assert.doesNotMatch(provider, /sshd not listening yet/, "the engine's text is not copied in");
  });

  it("gives the consumer the ssh-ready command", () => {
    const help = execFileSync(join(dir, "node_modules/.bin/ssh-ready"), ["--help"], {
      encoding: "utf8",
    });
    assert.match(help, /^Usage: ssh-ready/);
  });

  describe(
    "the serialized provider in the provider host started in the consumer's directory",
    { skip: opensshSkipReason() },
    () => {
      let host: ProviderHost;
      let sshd: OpenSshServer;
      const user = ed25519();
      before(async () => {
        sshd = new OpenSshServer();
        sshd.authorize(user.public);
        await sshd.start();
        host = await ProviderHost.start(dir, "consumer");
        await host.configure();
      });
      after(async () => {
        await host.stop();
        await sshd.dispose();
      });

      it("creates: waits for the real sshd and reports its host key", async () => {
        const created = await host.create("consumer-ready", {
          __provider: provider,
          label: "consumer-ready",
          host: "127.0.0.1",
          port: sshd.port,
          username: sshd.user,
          privateKey: user.private,
          timeout: 30,
        });
        assert.equal(created.properties.hostKey, sshd.hostKeyPublic);
        assert.ok(host.lines.some((l) => l.startsWith("[consumer-ready] ready at level auth")));
      });
    },
  );
});
