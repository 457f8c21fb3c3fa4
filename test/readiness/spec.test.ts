// The one option spec (components/readiness/spec.ts) against every surface that takes the readiness options:
// the library's declarations and defaults, ssh-ready's flags, help and error names, SshReadiness's inputs,
// secrets and diff, VmWithReadySsh's readiness arguments, the plugin schema, and the docs' tables. Each surface
// is read as users meet it (the declarations, the command line, the built schema, the Markdown), not from
// the spec again.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { DEFAULTS } from "../../components/azure/args";
import { flagNames, HELP, parseCommandLine } from "../../components/cli/args";
import { PACKAGE, SSH_READINESS } from "../../components/plugin/schema";
import { parseDuration } from "../../components/readiness/duration";
import type { WaitForSshOptions } from "../../components/readiness/options";
import { resolveOptions } from "../../components/readiness/resolve";
import {
  COMPONENT_READINESS_OPTIONS,
  JUMP_HOST_OPTIONS,
  OPTION_SPECS,
  TOP_LEVEL_OPTIONS,
  type OptionSpec,
} from "../../components/readiness/spec";
import { diffReadiness } from "../../components/ssh-readiness/diff";
import {
  ALWAYS_SECRET,
  recordInputs,
  type ReadinessInputs,
} from "../../components/ssh-readiness/inputs";
import { packageSchema } from "../../tools/schema/build";
import { readDeclarations, type Member } from "../../tools/schema/interfaces";
import { LIBRARY_DOC, optionsTable } from "../../tools/options-table";
import { ed25519, sshKeygen } from "../support/keys";

const ROOT = resolve(__dirname, "../../..");
const declarations = readDeclarations(
  [
    "components/readiness/options.ts",
    "components/ssh-readiness/ssh-readiness.ts",
    "components/azure/args.ts",
  ].map((file) => join(ROOT, file)),
);
const VM_ID =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm";
const names = (specs: readonly OptionSpec[]) => specs.map((spec) => spec.name).sort();
const members = (name: string): Member[] => {
  const found = declarations.get(name);
  assert.ok(found, `${name} is declared`);
  return found;
};
const memberNames = (name: string) => members(name).map((m) => m.name);

/** The TypeScript type an option of each type has, inside `pulumi.Input<…>` where the surface takes Outputs. */
const DECLARED: Record<OptionSpec["type"], RegExp> = {
  host: /^string$/,
  port: /^number$/,
  user: /^string$/,
  key: /^string( \| Buffer)?$/,
  passphrase: /^string$/,
  level: /^Level$/,
  command: /^string$/,
  bootId: /^string$/,
  pins: /^string \| string\[\]$/,
  targetPins: /^string \| string\[\]$/,
  duration: /^number \| string$/,
  path: /^string$/,
  vmId: /^string$/,
  jumpHost: /^(JumpHostOptions|SshReadinessJumpHost|pulumi\.Input<SshReadinessJumpHost>)$/,
};
const unwrapped = (typeText: string) => typeText.replace(/^pulumi\.Input<(.*)>$/, "$1");

function assertDeclared(interfaceName: string, specs: readonly OptionSpec[]): void {
  const byName = new Map(members(interfaceName).map((m) => [m.name, m]));
  for (const spec of specs) {
    const member = byName.get(spec.name);
    assert.ok(member, `${interfaceName}.${spec.name}`);
    assert.match(unwrapped(member.typeText), DECLARED[spec.type], `${interfaceName}.${spec.name}`);
    if (spec.unit === "seconds")
      assert.match(member.doc, /seconds/, `${interfaceName}.${spec.name} says its unit`);
  }
}

describe("the readiness options, declared once", () => {
  const dir = mkdtempSync(join(tmpdir(), "ssh-ready-spec-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("the library takes exactly the spec's options, of its types, with its defaults", () => {
    const hooks = ["signal", "onAttempt", "onCommandStart", "schedule", "lookup", "azure"];
    assert.deepEqual(
      memberNames("WaitForSshOptions").sort(),
      [...names(TOP_LEVEL_OPTIONS), ...hooks].sort(),
    );
    assert.deepEqual(memberNames("JumpHostOptions").sort(), names(JUMP_HOST_OPTIONS));
    assertDeclared("WaitForSshOptions", TOP_LEVEL_OPTIONS);
    assertDeclared("JumpHostOptions", JUMP_HOST_OPTIONS);
    const resolved = resolveOptions({ host: "10.0.0.4" });
    const ms = (name: string) =>
      parseDuration(OPTION_SPECS.find((s) => s.name === name)!.default, name);
    assert.equal(resolved.port, OPTION_SPECS.find((s) => s.name === "port")!.default);
    assert.equal(resolved.timeoutMs, ms("timeout"));
    assert.equal(resolved.attemptTimeoutMs, ms("attemptTimeout"));
    assert.equal(resolved.commandTimeoutMs, ms("commandTimeout"));
  });

  it("ssh-ready has a flag for each option the spec gives one, with its default in the help", () => {
    const key = join(dir, "key");
    writeFileSync(key, ed25519().private, { mode: 0o600 });
    const pin = "SHA256:rDjDqp/o9ohcffF/39m7HrroB2E1I2IwGlfOC5CFcoo";
    /** A value for each flag, and what the engine's option must then be. */
    const samples: Record<string, [string, (o: WaitForSshOptions) => unknown, unknown]> = {
      port: ["2222", (o) => o.port, 2222],
      login: ["ops", (o) => o.username, "ops"],
      identity: [key, (o) => typeof o.privateKey, "string"],
      level: ["command", (o) => o.level, "command"],
      command: ["true", (o) => o.command, "true"],
      "host-key-pin": [pin, (o) => o.hostKeyPin, [pin]],
      jump: ["ops@bastion:2200", (o) => o.jumpHost?.port, 2200],
      "jump-identity": [key, (o) => typeof o.jumpHost?.privateKey, "string"],
      "jump-host-key-pin": [pin, (o) => o.jumpHost?.hostKeyPin, [pin]],
      timeout: ["90s", (o) => o.timeout, "90s"],
      "attempt-timeout": ["5s", (o) => o.attemptTimeout, "5s"],
      "command-timeout": ["2m", (o) => o.commandTimeout, "2m"],
      "serial-log": ["/var/lib/vm/serial.log", (o) => o.serialLog, "/var/lib/vm/serial.log"],
      "azure-vm-id": [VM_ID, (o) => o.azureVmId, VM_ID],
      "after-boot": [
        "0c5d4b4e-3f55-4c1f-9d7e-2b1f6a1c9e01",
        (o) => o.afterBoot,
        "0c5d4b4e-3f55-4c1f-9d7e-2b1f6a1c9e01",
      ],
    };
    const flagged = OPTION_SPECS.filter((spec) => "flag" in spec.cli);
    assert.deepEqual(
      flagged.map((spec) => (spec.cli as { flag: string }).flag).sort(),
      Object.keys(samples).sort(),
    );
    for (const spec of flagged) {
      const cli = spec.cli as { flag: string; short?: string; default?: string };
      const [value, read, expected] = samples[cli.flag];
      const argv = ["10.0.0.4", `--${cli.flag}`, value];
      if (cli.flag.startsWith("jump-")) argv.push("-J", "ops@bastion");
      for (const form of cli.short
        ? [argv, argv.map((a) => (a === `--${cli.flag}` ? `-${cli.short}` : a))]
        : [argv]) {
        const { request } = parseCommandLine(form, {}, () => "me");
        assert.deepEqual(read(request.options), expected, form.join(" "));
      }
      const line = HELP.split("\n").findIndex((l) => l.includes(`--${cli.flag} `));
      assert.ok(line >= 0, `--${cli.flag} is in the help`);
      const shown = cli.default ?? (spec.default === undefined ? undefined : String(spec.default));
      if (shown !== undefined) {
        const entry = HELP.split("\n")
          .slice(line, line + 3)
          .join(" ")
          .replace(/\s+/g, " ");
        assert.ok(entry.includes(`${shown})`), `--${cli.flag}'s help gives its default: ${entry}`);
      }
    }
    // Every option has a name on the command line, for the engine's messages.
    assert.deepEqual(Object.keys(flagNames()).sort(), names(OPTION_SPECS));
    assert.equal(flagNames()["jumpHost.port"], "-J");
    assert.equal(flagNames().passphrase, "SSH_READY_PASSPHRASE");
  });

  it("SshReadiness takes the spec's options (and its own label and triggers), secret and diffed as it says", () => {
    assert.deepEqual(
      memberNames("SshReadinessArgs").sort(),
      [...names(TOP_LEVEL_OPTIONS), "label", "triggers"].sort(),
    );
    assert.deepEqual(memberNames("SshReadinessJumpHost").sort(), names(JUMP_HOST_OPTIONS));
    assertDeclared("SshReadinessArgs", TOP_LEVEL_OPTIONS);
    assertDeclared("SshReadinessJumpHost", JUMP_HOST_OPTIONS);
    assert.deepEqual(
      [...ALWAYS_SECRET].sort(),
      names(TOP_LEVEL_OPTIONS.filter((spec) => spec.secret)),
    );

    // A change of each option alone: a new wait for `replace`, an update in place for `update`.
    const encrypted = sshKeygen("ed25519", { passphrase: "one", rounds: 2 });
    const reencrypted = join(dir, "reencrypted");
    writeFileSync(reencrypted, encrypted.private, { mode: 0o600 });
    execFileSync("ssh-keygen", [
      "-q",
      "-p",
      "-a",
      "2",
      "-P",
      "one",
      "-N",
      "two",
      "-f",
      reencrypted,
    ]);
    const base: ReadinessInputs = {
      host: "10.0.0.4",
      port: 22,
      username: "azureuser",
      privateKey: encrypted.private,
      passphrase: "one",
      level: "command",
      command: "true",
      hostKeyPin: "SHA256:rDjDqp/o9ohcffF/39m7HrroB2E1I2IwGlfOC5CFcoo",
      jumpHost: { host: "bastion", username: "ops" },
      timeout: "10m",
      attemptTimeout: "15s",
      commandTimeout: "5m",
    };
    const changed: Record<string, Partial<ReadinessInputs>> = {
      host: { host: "10.0.0.5" },
      port: { port: 2222 },
      username: { username: "ops" },
      privateKey: { privateKey: ed25519().private, passphrase: undefined },
      // The same key under another passphrase: no new wait (the key is compared by its fingerprint).
      passphrase: { privateKey: readFileSync(reencrypted, "utf8"), passphrase: "two" },
      level: { level: "auth", command: undefined },
      command: { command: "test -f /ready" },
      afterBoot: { afterBoot: "0c5d4b4e-3f55-4c1f-9d7e-2b1f6a1c9e01" },
      hostKeyPin: { hostKeyPin: "SHA256:AAAAqp/o9ohcffF/39m7HrroB2E1I2IwGlfOC5CFcoo" },
      serialLog: { serialLog: "/var/lib/vm/serial.log" },
      azureVmId: { azureVmId: VM_ID },
      jumpHost: { jumpHost: { host: "bastion2", username: "ops" } },
      timeout: { timeout: "20m" },
      attemptTimeout: { attemptTimeout: "5s" },
      commandTimeout: { commandTimeout: "1m" },
    };
    assert.deepEqual(Object.keys(changed).sort(), names(TOP_LEVEL_OPTIONS));
    const olds = recordInputs(base);
    for (const spec of TOP_LEVEL_OPTIONS) {
      const diff = diffReadiness(olds, { ...base, ...changed[spec.name] });
      const replaces = spec.change === "replace" && spec.recordedAs !== false;
      assert.equal(diff.replaces.includes(spec.name), replaces, `${spec.name}: ${diff.replaces}`);
      if (spec.change === "update") assert.deepEqual(diff, { changes: true, replaces: [] });
    }
  });

  it("VmWithReadySsh's readiness arguments are the spec's, with the component's defaults", () => {
    assert.deepEqual(memberNames("VmReadinessArgs").sort(), names(COMPONENT_READINESS_OPTIONS));
    for (const spec of COMPONENT_READINESS_OPTIONS)
      assert.match(
        unwrapped(members("VmReadinessArgs").find((m) => m.name === spec.name)!.typeText),
        DECLARED[spec.type],
        spec.name,
      );
    assert.equal(DEFAULTS.readinessLevel, "command");
    assert.equal(
      DEFAULTS.readinessLevel,
      COMPONENT_READINESS_OPTIONS.find((s) => s.name === "level")!.default,
    );
    assert.equal(
      DEFAULTS.readinessTimeout,
      COMPONENT_READINESS_OPTIONS.find((s) => s.name === "timeout")!.default,
    );
  });

  it("the plugin schema's readiness part has the spec's names, types, secrets and defaults", () => {
    const schema = packageSchema() as {
      resources: Record<string, { inputProperties: Record<string, Record<string, unknown>> }>;
      types: Record<string, { properties: Record<string, Record<string, unknown>> }>;
    };
    const SCHEMA_TYPE: Record<OptionSpec["type"], unknown> = {
      host: { type: "string" },
      port: { type: "integer" },
      user: { type: "string" },
      key: { type: "string" },
      passphrase: { type: "string" },
      level: { type: "string" },
      command: { type: "string" },
      bootId: { type: "string" },
      pins: { oneOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
      targetPins: { oneOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
      duration: { oneOf: [{ type: "number" }, { type: "string" }] },
      path: { type: "string" },
      vmId: { type: "string" },
      jumpHost: { $ref: `#/types/${PACKAGE}:index:JumpHost` },
    };
    const check = (
      where: string,
      props: Record<string, Record<string, unknown>>,
      specs: readonly OptionSpec[],
      secrets: boolean,
    ) => {
      for (const spec of specs) {
        const prop = props[spec.name];
        assert.ok(prop, `${where}.${spec.name}`);
        const { description, secret, default: given, plain, ...type } = prop;
        void plain;
        assert.deepEqual(type, SCHEMA_TYPE[spec.type], `${where}.${spec.name}`);
        assert.equal(secret === true, secrets && spec.secret, `${where}.${spec.name} secret`);
        assert.equal(given, typeof spec.default === "number" ? spec.default : undefined);
        if (spec.unit === "seconds") assert.match(String(description), /seconds/);
      }
    };
    const inputs = schema.resources[SSH_READINESS].inputProperties;
    assert.deepEqual(
      Object.keys(inputs).sort(),
      [...names(TOP_LEVEL_OPTIONS), "label", "triggers"].sort(),
    );
    check("SshReadiness", inputs, TOP_LEVEL_OPTIONS, true);
    const jump = schema.types[`${PACKAGE}:index:JumpHost`].properties;
    assert.deepEqual(Object.keys(jump).sort(), names(JUMP_HOST_OPTIONS));
    check("JumpHost", jump, JUMP_HOST_OPTIONS, true);
    const readiness = schema.types[`${PACKAGE}:azure:Readiness`].properties;
    assert.deepEqual(Object.keys(readiness).sort(), names(COMPONENT_READINESS_OPTIONS));
    check("Readiness", readiness, COMPONENT_READINESS_OPTIONS, false);
  });

  it("the docs' option tables are the spec's", () => {
    // docs/library.md: written from the spec (npm run docs:options); compared cell by cell, as Prettier aligns them.
    const cells = (table: string) =>
      table
        .split("\n")
        .filter((line) => line.startsWith("|") && !/^\|[\s|:-]+\|$/.test(line))
        .map((line) =>
          line
            .slice(1, -1)
            .split(" | ")
            .map((cell) => cell.trim()),
        );
    const doc = readFileSync(LIBRARY_DOC, "utf8");
    const inDoc = doc.slice(
      doc.indexOf("<!-- options table"),
      doc.indexOf("<!-- end of options table"),
    );
    assert.deepEqual(
      cells(inDoc),
      cells(optionsTable()),
      "docs/library.md: run npm run docs:options",
    );

    // docs/cli.md's flag table: every flag of the spec, and only ssh-ready's own switches beside them.
    const cli = readFileSync(join(ROOT, "docs/cli.md"), "utf8");
    const flagsInDoc = [...cli.matchAll(/^\| (`-[^|]*) \|/gm)].flatMap((m) =>
      [...m[1].matchAll(/`--([\w-]+)`/g)].map((f) => f[1]),
    );
    const specFlags = OPTION_SPECS.flatMap((s) => ("flag" in s.cli ? [s.cli.flag] : []));
    assert.deepEqual(flagsInDoc.sort(), [...specFlags, "json", "quiet"].sort());

    // docs/vm-with-ready-ssh.md's argument table: each readiness argument, with the component's default.
    const vm = readFileSync(join(ROOT, "docs/vm-with-ready-ssh.md"), "utf8");
    for (const spec of COMPONENT_READINESS_OPTIONS) {
      const row = vm
        .split("\n")
        .find((line) => line.startsWith("|") && line.includes(`\`readiness.${spec.name}\``));
      assert.ok(row, `readiness.${spec.name} has a row`);
      if (spec.default !== undefined)
        assert.ok(row.includes(`\`${spec.default}\``), `readiness.${spec.name}: ${spec.default}`);
    }
  });
});
