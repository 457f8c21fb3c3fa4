// The secrets sweep: one set of secrets (the private keys, the passphrase, and a command, triggers, a jump host
// address and a label the program gave as secrets) through every surface of a wait, ready and not ready: the
// library's events, result and errors; ssh-ready's stdout and stderr, with --json and without; the real
// dynamic-provider host's and the provider plugin's responses and output, over gRPC. None may hold a secret in
// plain text: a response is read as the engine stores it (marked by input name, as annotateSecrets does).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { waitForSsh, type WaitForSshOptions } from "../components/readiness";
import { markSecrets, reveal } from "../components/plugin/wire";
import { SshReadiness } from "../components/ssh-readiness";
import { OpenSshServer } from "../tools/simulator/openssh";
import { ed25519 } from "./support/keys";
import { opensshSkipReason } from "./support/openssh";
import { ProviderHost } from "./support/provider-host";
import { installMocks, value } from "./support/pulumi-mocks";
import { noSecretIn, unmarked } from "./support/secrets";
import { scratchDir } from "./support/scratch";

const REPO = resolve(__dirname, "../..");
const TOKEN = `TOKEN${randomBytes(6).toString("hex")}`;
const PASSPHRASE = `pass-${TOKEN}`;
const user = ed25519(PASSPHRASE);
const jumpUser = ed25519();
/** The secrets the program gives, besides the keys: each must stay out of everything that is not secret. */
const SECRET_COMMAND = `test -n "${TOKEN}-command"`;
const FAILING_COMMAND = `test -z "${TOKEN}-command"`;
const SECRET_LABEL = `${TOKEN}-label`;
const SECRET_TRIGGER = `${TOKEN}-trigger`;
/** The jump host's address, given as a secret: an address of its own, so that no other text holds it. */
const JUMP_ADDRESS = "127.0.0.7";

const keysOnly = noSecretIn([PASSPHRASE], [user.private, jumpUser.private]);
const everySecret = noSecretIn([PASSPHRASE, TOKEN, JUMP_ADDRESS], [user.private, jumpUser.private]);
/** A gRPC response as the engine keeps it: unmarked parts must hold no secret. */
const stored = (response: unknown, where: string) =>
  everySecret(JSON.stringify(unmarked(response)), where);

describe(
  "no secret in anything a wait returns, prints or stores",
  { skip: opensshSkipReason() },
  () => {
    let target: OpenSshServer;
    let jump: OpenSshServer;
    const dir = scratchDir("ssh-ready-secrets-");
    /**
     * The VM's console, read when a wait gives up: a cloud-init warning there quotes user data holding the
     * private keys (a bad cloud-config can), escaped as JSON and raw.
     */
    const serialLog = join(dir, "serial.log");
    writeFileSync(
      serialLog,
      [
        "[    0.000000] Linux version 6.1.0-50-cloud-amd64",
        `[   30.1] cloud-init[429]: WARNING: Invalid cloud-config: ${JSON.stringify({ ssh_keys: { ed25519_private: user.private } })}`,
        `[   30.2] cloud-init[429]: WARNING: ${jumpUser.private}`,
        "[   31.0] cloud-init[429]: Cloud-init v. 22.4.2 finished at Sun, 06 Dec 2026 14:26:10 +0000.",
      ].join("\r\n"),
    );

    before(async () => {
      target = new OpenSshServer();
      target.authorize(user.public);
      jump = new OpenSshServer({ address: JUMP_ADDRESS });
      jump.authorize(jumpUser.public);
      await Promise.all([target.start(), jump.start()]);
    });
    after(async () => {
      await Promise.all([target.dispose(), jump.dispose()]);
    });

    /** The target and the login, as the library and SshReadiness both take them. */
    const login = () => ({
      host: "127.0.0.1",
      port: target.port,
      username: target.user,
      privateKey: user.private,
      passphrase: PASSPHRASE,
      level: "command" as const,
      timeout: "4s",
      serialLog,
    });
    const through = <T>(address: T) => ({
      host: address,
      port: jump.port,
      username: jump.user,
      privateKey: jumpUser.private,
    });
    /** The wait's options: through the jump host, at level command, done in a few seconds either way. */
    const options = (command: string): WaitForSshOptions => ({
      ...login(),
      command,
      jumpHost: through(JUMP_ADDRESS),
    });

    it("the library: events, result and errors hold no key or passphrase", async () => {
      for (const command of [SECRET_COMMAND, FAILING_COMMAND]) {
        const events: unknown[] = [];
        const outcome = await waitForSsh({
          ...options(command),
          onAttempt: (e) => events.push(e),
          onCommandStart: (e) => events.push({ ...e, command: "(the caller's own)" }),
        }).catch((e: unknown) => e);
        if (command === SECRET_COMMAND) assert.ok(!(outcome instanceof Error), String(outcome));
        else {
          assert.ok(outcome instanceof Error);
          // The give-up carries the console's lines, the keys quoted there masked.
          assert.match(
            outcome.message,
            /\n {2}\| \[ {3}30\.1\] cloud-init\[429\]: WARNING: .*\[secret\]/,
          );
        }
        const error = outcome instanceof Error ? { ...outcome, message: outcome.message } : {};
        keysOnly(JSON.stringify({ events, outcome, error }), `the library's output (${command})`);
      }
    });

    it("ssh-ready: stdout and stderr, with --json and without, hold no key or passphrase", async () => {
      const keyFile = join(dir, "id");
      const jumpKeyFile = join(dir, "jump");
      writeFileSync(keyFile, user.private, { mode: 0o600 });
      writeFileSync(jumpKeyFile, jumpUser.private, { mode: 0o600 });
      for (const command of [SECRET_COMMAND, FAILING_COMMAND]) {
        for (const json of [[], ["--json"]]) {
          const args = [
            `${target.user}@127.0.0.1`,
            ...["-p", String(target.port), "-i", keyFile, "--level", "command"],
            ...["--command", command, "--timeout", "4s", "--serial-log", serialLog, ...json],
            ...["-J", `${jump.user}@${JUMP_ADDRESS}:${jump.port}`, "--jump-identity", jumpKeyFile],
          ];
          const child = spawn(process.execPath, [join(REPO, "bin", "ssh-ready.js"), ...args], {
            env: { ...process.env, SSH_READY_PASSPHRASE: PASSPHRASE },
            stdio: ["ignore", "pipe", "pipe"],
          });
          let out = "";
          child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
          child.stderr.setEncoding("utf8").on("data", (c: string) => (out += c));
          const code = await new Promise((done) => child.on("close", done));
          assert.equal(code, command === SECRET_COMMAND ? 0 : 1, out);
          keysOnly(out, `ssh-ready ${json.join("")} (${command})`);
        }
      }
    });

    describe("Pulumi", () => {
      /** The inputs as the program registers them (secret marks included), and as sent to each provider. */
      let wire: Record<string, unknown>;

      before(async () => {
        const registered = await installMocks();
        const resource = new SshReadiness("swept", {
          ...login(),
          command: pulumi.secret(SECRET_COMMAND),
          label: pulumi.secret(SECRET_LABEL),
          triggers: ["vm-1", pulumi.secret(SECRET_TRIGGER)],
          jumpHost: through(pulumi.secret(JUMP_ADDRESS)),
        });
        await value(resource.urn);
        wire = registered.find((r) => r.name === "swept")!.inputs;
      });

      /** Create, then Create with a command that fails; every response and line swept. */
      async function sweep(host: ProviderHost, given: Record<string, unknown>, marked: boolean) {
        // The engine strips marks for the dynamic-provider host and re-marks its answers by input name.
        const asStored = (response: Record<string, unknown>) =>
          marked ? response : markSecrets(response, [wire]);
        const { inputs: checked, failures } = await host.check("swept", {}, given);
        assert.deepEqual(failures, []);
        stored(asStored(checked), "Check's response");
        const created = await host.create("swept", checked);
        stored(asStored(created.properties), "Create's response");
        const failing = marked
          ? { ...checked, command: { ...(checked.command as object), value: FAILING_COMMAND } }
          : { ...checked, command: FAILING_COMMAND };
        const error = (await host.create("swept", failing).catch((e: unknown) => e)) as Error & {
          details?: string;
        };
        assert.ok(error instanceof Error, "the failing command fails the create");
        assert.match(error.message, /the readiness command never succeeded/);
        everySecret(`${error.message}\n${error.details ?? ""}`, "Create's error");
        const lines = host.lines.join("\n");
        assert.match(lines, /waiting for the readiness command/, lines);
        assert.match(lines, /^\[secret label\] /m);
        everySecret(lines, "the provider's output");
      }

      it("the dynamic-provider host: Check, Create, errors and output", async () => {
        const host = await ProviderHost.start(REPO);
        try {
          await host.configure({});
          const given = reveal(wire);
          assert.deepEqual(given.__secretInputs, ["command", "jumpHost", "label", "triggers"]);
          await sweep(host, given, false);
        } finally {
          await host.stop();
        }
      });

      it("the provider plugin: Check, Create, errors and output", async () => {
        const plugin = await ProviderHost.startReadinessPlugin();
        try {
          await plugin.configure();
          // What a program in any language sends: the schema's inputs, marked; no __provider, no __secretInputs.
          const given = Object.fromEntries(
            Object.entries(wire).filter(([key]) => !["__provider", "__secretInputs"].includes(key)),
          );
          await sweep(plugin, given, true);
        } finally {
          await plugin.stop();
        }
      });
    });
  },
);
