// The ssh-ready command as a user runs it: a real process, real servers, exit codes, stdout and stderr.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  acceptingServer,
  stallingServer,
  type AcceptingSsh,
  type InProcessSsh,
} from "../support/bad-servers";
import { consoleHostKeys, consoleTail } from "../../components/readiness/console";
import { BootSimulator } from "../../tools/simulator/boot-simulator";
import { ed25519, sshKeygen, sshKeygenFingerprint } from "../support/keys";
import { untilTrue } from "../support/until";
import { noSecretIn } from "../support/secrets";
import { freePort } from "../../tools/simulator/openssh";
import { opensshSkipReason } from "../support/openssh";
import { scratchDir } from "../support/scratch";

const root = resolve(__dirname, "../../..");
const bin = join(root, "bin", "ssh-ready.js");
const dir = scratchDir("ssh-ready-cli-");

function keyFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  exitedAt: number;
}

function sshReady(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    command?: string[];
    onSpawn?: (kill: (signal: NodeJS.Signals) => void) => void;
    /**
     * Called at ssh-ready's first progress line ("+0.0s attempt 1: …"): it is waiting. Not at any stderr output:
     * npx may warn about npm's config before ssh-ready even starts.
     */
    onFirstAttempt?: () => void;
  } = {},
): Promise<Run> {
  const [file, ...pre] = options.command ?? [process.execPath, bin];
  const child = spawn(file, [...pre, ...args], {
    cwd: root,
    env: { ...process.env, SSH_READY_PASSPHRASE: "", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  let waiting = false;
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
    if (!waiting && /^\+\d+\.\ds attempt /m.test(stderr)) {
      waiting = true;
      options.onFirstAttempt?.();
    }
  });
  options.onSpawn?.((signal) => child.kill(signal));
  return new Promise((done) =>
    child.on("close", (code) => done({ code, stdout, stderr, exitedAt: performance.now() })),
  );
}

const user = ed25519();
const userKey = keyFile("id_ed25519", user.private);

/** The arguments of a login to a server on 127.0.0.1 with the test's key. */
const loginTo = (port: number, username = "azureuser") => [
  "127.0.0.1",
  "-p",
  String(port),
  "-l",
  username,
  "-i",
  userKey,
];

describe("ssh-ready", () => {
  it("prints its help and exits 0", async () => {
    const run = await sshReady(["--help"]);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^Usage: ssh-ready \[user@\]host \[options\]/);
    assert.match(run.stdout, /Exit codes: 0 ready; 1 not ready by the deadline/);
  });

  // Every bad input is tested in-process (args.test.ts); these two check the same through a real process.
  describe("bad input through the real process: one line naming the input, exit 2", () => {
    const cases: [string, string[], RegExp, NodeJS.ProcessEnv?][] = [
      [
        "unknown flag",
        ["host", "--bogus"],
        /^ssh-ready: unknown option --bogus\nTry 'ssh-ready --help'\.\n$/,
      ],
      [
        "malformed key",
        ["h", "-l", "u", "-i", keyFile("junk", "not a key\n")],
        /^ssh-ready: -i \S+junk is not a private key in OpenSSH or PEM format\nTry 'ssh-ready --help'\.\n$/,
      ],
    ];
    for (const [name, args, message, env] of cases) {
      it(name, async () => {
        const run = await sshReady(args, { env });
        assert.equal(run.code, 2, run.stderr);
        assert.match(run.stderr, message);
        assert.equal(run.stdout, "");
      });
    }
  });

  // `ssh-ready "$(cat ~/.ssh/id_ed25519)"` and its kin: the key is named, never printed, with --json or not.
  describe("a private key pasted where a value goes is named, never echoed", () => {
    const key = user.private;
    const noKey = noSecretIn([], [key]);
    const cases: [string, string[], RegExp][] = [
      ["as the first argument", [key], /^ssh-ready: unknown option \(a private key\)$/m],
      [
        "as a second host",
        ["127.0.0.1", "--", key],
        /one host only, got: 127\.0\.0\.1 \(a private key\)$/m,
      ],
      [
        "as -l beside user@",
        ["u@127.0.0.1", `--login=${key}`],
        /user given twice: "u@" and -l \(a private key\)$/m,
      ],
      [
        "as a flag's value",
        ["127.0.0.1", "--timeout", key],
        /Option '--timeout' argument is ambiguous/,
      ],
      [
        "in an unknown flag",
        ["127.0.0.1", `--identity-text=${key}`],
        /unknown option --identity-text$/m,
      ],
      [
        "as the key file's name",
        ["127.0.0.1", `--identity=${key}`],
        /^ssh-ready: -i \(a private key\): cannot read/m,
      ],
    ];
    for (const [where, args, message] of cases) {
      it(where, async () => {
        for (const json of [false, true]) {
          const run = await sshReady(json ? ["--json", ...args] : args);
          assert.equal(run.code, 2, run.stderr);
          assert.match(run.stderr, message);
          noKey(run.stderr, "stderr");
          noKey(run.stdout, "stdout");
          assert.ok(!/PRIVATE KEY|b3BlbnNzaC1rZXktdjE/.test(run.stdout + run.stderr), run.stderr);
          if (json) assert.equal(JSON.parse(run.stdout).error.name, "UsageError");
        }
      });
    }
  });

  it("exits 1 at the deadline with classified progress on stderr and the reason", async () => {
    const port = await freePort();
    const run = await sshReady(["127.0.0.1", "-p", String(port), "--timeout", "1.5"]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.match(
      run.stderr,
      new RegExp(
        `^\\+0\\.\\ds attempt 1: connection refused — sshd not listening yet \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\)\n`,
      ),
    );
    assert.match(
      run.stderr,
      /\nssh-ready: sshd on 127\.0\.0\.1:\d+ never answered: \d+ × connection refused over 1\.5s \(port closed/,
    );
  });

  it("prints the error with its counts as JSON with --json", async () => {
    const run = await sshReady([
      "127.0.0.1",
      "-p",
      String(await freePort()),
      "--timeout",
      "1",
      "--json",
      "-q",
    ]);
    assert.equal(run.code, 1);
    const { error } = JSON.parse(run.stdout);
    assert.equal(error.code, "SSH_NOT_READY");
    assert.equal(error.counts.refused, error.attempts);
    assert.equal(error.last.class, "refused");
    assert.doesNotMatch(run.stderr, /attempt 1/); // -q
  });

  describe("against an SSH server", () => {
    let ssh: InProcessSsh;
    before(async () => {
      ssh = await acceptingServer();
    });
    after(() => ssh.close());

    it("exits 0 and prints the banner, the host key and a known_hosts line", async () => {
      const run = await sshReady([
        `azureuser@127.0.0.1`,
        "-p",
        String(ssh.port),
        "-i",
        userKey,
        "--host-key-pin",
        ssh.hostKeyPublic,
      ]);
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stdout.trim().split("\n");
      assert.match(
        lines[0],
        new RegExp(
          `^ready: azureuser@127\\.0\\.0\\.1:${ssh.port} at level auth after \\d+ms \\(1 attempt\\)$`,
        ),
      );
      assert.match(lines[1], /^banner: SSH-2\.0-ssh2js/);
      assert.match(lines[2], /^host key: ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}$/);
      assert.equal(lines[3], `known_hosts: [127.0.0.1]:${ssh.port} ${ssh.hostKeyPublic}`);
    });

    it("prints the result as JSON with --json", async () => {
      const run = await sshReady([...loginTo(ssh.port), "--json"]);
      assert.equal(run.code, 0, run.stderr);
      const result = JSON.parse(run.stdout);
      assert.equal(result.username, "azureuser");
      assert.equal(result.hostKey, ssh.hostKeyPublic);
      assert.equal(result.level, "auth");
    });

    /** ssh-ready against the server with this pin, which is not its key. */
    const pinnedTo = (pin: string) => sshReady([...loginTo(ssh.port, "u"), "--host-key-pin", pin]);

    it("exits 3 on a host key mismatch, with the keys presented and pinned each on a line", async () => {
      const pin = ed25519().public;
      const run = await pinnedTo(pin);
      assert.equal(run.code, 3);
      const presented = sshKeygenFingerprint(ssh.hostKeyPublic);
      assert.ok(
        run.stderr.endsWith(
          `ssh-ready: host key mismatch on 127.0.0.1:${ssh.port}: the server presented no pinned host key, so nothing was sent beyond the key exchange.\n` +
            `  presented: ssh-ed25519 ${presented}\n` +
            `  pinned:    ssh-ed25519 ${sshKeygenFingerprint(pin)}\n` +
            "A different machine answers at this address, or the pin is out of date.\n",
        ),
        run.stderr,
      );
    });

    it("shows a fingerprint pin's probe of the server's other key types as such, not as a failed handshake", async () => {
      const pin = sshKeygenFingerprint(ed25519().public);
      const run = await pinnedTo(pin);
      assert.equal(run.code, 3, run.stderr);
      const presented = sshKeygenFingerprint(ssh.hostKeyPublic);
      const attempts = run.stderr.split("\n").filter((line) => / attempt \d+: /.test(line));
      assert.deepEqual(
        attempts.map((line) => line.replace(/^\+[\d.]+s /, "")),
        [
          `attempt 1: host key mismatch — the server's key is not the pinned one (ssh-ed25519 ${presented} is not pinned)`,
          "attempt 2: host key mismatch — the server's key is not the pinned one (asked for the server's other host key types: it has none, only ssh-ed25519)",
        ],
      );
      assert.ok(run.stderr.includes(`\n  pinned:    ${pin}\n`), run.stderr);
    });
  });

  describe("with the VM's console (--serial-log), captured from a real Debian boot", () => {
    const consoles = join(root, "test/readiness/consoles");
    const firstBoot = join(consoles, "debian12-first-boot.serial.log");
    const rebooted = join(consoles, "debian12-rebooted.serial.log");
    let ssh: AcceptingSsh;
    before(async () => {
      ssh = await acceptingServer();
    });
    after(() => ssh.close());

    /** A wait that gives up in a second (nothing listens), with these console flags. */
    const giveUpWith = async (...consoleArgs: string[]) =>
      sshReady(["127.0.0.1", "-p", String(await freePort()), "--timeout", "1", ...consoleArgs]);

    /** A wait on the server with the console as the pin, read from `log`. */
    const consolePinned = (log: string, ...more: string[]) =>
      sshReady([...loginTo(ssh.port), "--host-key-pin", "console", "--serial-log", log, ...more]);

    it("gives up with the console's lines that matter, in the message and in --json", async () => {
      const tail = consoleTail(readFileSync(rebooted, "utf8"));
      const run = await giveUpWith("--serial-log", rebooted);
      assert.equal(run.code, 1);
      assert.ok(
        run.stderr.endsWith(
          `\nThe VM's console (serial log ${rebooted}), this boot's last lines that matter:\n` +
            `${tail.map((line) => `  | ${line}`).join("\n")}\n`,
        ),
        run.stderr,
      );
      const json = await giveUpWith("--serial-log", rebooted, "--json", "-q");
      assert.deepEqual(JSON.parse(json.stdout).error.console, {
        source: `serial log ${rebooted}`,
        tail,
      });
    });

    it("says in one line why the console could not be read", async () => {
      const missing = join(dir, "no-such.log");
      const run = await giveUpWith("--serial-log", missing);
      assert.equal(run.code, 1);
      assert.ok(
        run.stderr.endsWith(
          `\nThe VM's console could not be read (serial log ${missing}: no such file).\n`,
        ),
        run.stderr,
      );
    });

    it("--azure-vm-id: without the optional @azure/identity, one line says so, and nothing is asked of Azure", async () => {
      const id =
        "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm";
      const run = await giveUpWith("--azure-vm-id", id);
      assert.equal(run.code, 1);
      assert.ok(
        run.stderr.endsWith(
          `\nThe VM's console could not be read (boot diagnostics of ${id}: no Azure credential: install the optional @azure/identity (npm install @azure/identity), or give one).\n`,
        ),
        run.stderr,
      );
    });

    it("--host-key-pin console: a server whose key the console does not show is a mismatch, offered no key (exit 3)", async () => {
      // The server is shared by these tests, in a random order: count what this one adds.
      const requests = ssh.authRequests();
      const run = await consolePinned(firstBoot);
      assert.equal(run.code, 3, run.stderr);
      const shown = consoleHostKeys(readFileSync(firstBoot, "utf8"))!;
      assert.ok(
        run.stderr.includes(
          `\n  pinned:    ${shown.map((k) => `${k.type} ${k.fingerprint}`).join(", ")}\n`,
        ),
        run.stderr,
      );
      assert.match(
        run.stderr,
        /ssh-ready: host key mismatch on 127\.0\.0\.1:\d+: the server presented no pinned host key, so nothing was sent beyond the key exchange\.\n {2}presented: ssh-ed25519 SHA256:\S+\n/,
      );
      assert.equal(ssh.authRequests(), requests);
    });

    it("--host-key-pin console: trusts the key the console's record shows for this boot", async () => {
      const log = join(dir, "own.serial.log");
      writeFileSync(
        log,
        "[    0.000000] Linux version 6.1.0-50-cloud-amd64\r\n" +
          `-----BEGIN SSH HOST KEY KEYS-----\r\n${ssh.hostKeyPublic}\r\n-----END SSH HOST KEY KEYS-----\r\n`,
      );
      const run = await consolePinned(log, "--json");
      assert.equal(run.code, 0, run.stderr);
      assert.equal(JSON.parse(run.stdout).hostKey, ssh.hostKeyPublic);
    });

    it("--host-key-pin console after a reboot: the console's keys are an earlier boot's, and no connection is made", async () => {
      const before = ssh.connections();
      const run = await consolePinned(rebooted, "--timeout", "1");
      assert.equal(run.code, 1);
      assert.equal(ssh.connections(), before);
      assert.match(
        run.stderr,
        /ssh-ready: no host key of 127\.0\.0\.1:\d+ could be verified: the console never showed this boot's host keys, so no connection was made: \d+ × no host keys on the console yet over 1\.0s .*Last error: the serial log \S+ shows host keys for an earlier boot only/,
      );
    });
  });

  it("exits 130 on SIGINT and SIGTERM, closing its connection", async () => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const server = await stallingServer();
      try {
        const run = await sshReady(
          ["127.0.0.1", "-p", String(server.port), "-l", "u", "-i", userKey],
          {
            onSpawn: (kill) => {
              const poll = setInterval(() => {
                if (server.connections() > 0) {
                  clearInterval(poll);
                  kill(signal);
                }
              }, 20);
            },
          },
        );
        assert.equal(run.code, 130, run.stderr);
        assert.match(run.stderr, /ssh-ready: interrupted after /);
        // The process has exited; its connection's close reaches the server a moment later.
        for (let i = 0; i < 100 && server.open() > 0; i++)
          await new Promise((resolve) => setTimeout(resolve, 10));
        assert.equal(server.open(), 0);
      } finally {
        await server.close();
      }
    }
  });

  it("ends at once on Ctrl-C while it decrypts a key of 256 bcrypt rounds: by the signal, before any connection", async () => {
    const slow = keyFile("slow", sshKeygen("ed25519", { passphrase: "pw", rounds: 256 }).private);
    const server = await stallingServer();
    try {
      const child = spawn(
        process.execPath,
        [bin, "127.0.0.1", "-p", String(server.port), "-l", "u", "-i", slow],
        { env: { ...process.env, SSH_READY_PASSPHRASE: "pw" }, stdio: "ignore" },
      );
      const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
      // Decrypting: the process has used more CPU than starting Node takes (decrypting takes seconds of it).
      const cpuSeconds = () => {
        const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
        return (Number(fields[11]) + Number(fields[12])) / 100;
      };
      await untilTrue(
        () => child.exitCode === null && cpuSeconds() > 0.8,
        60_000,
        "the decryption",
      );
      child.kill("SIGINT");
      const [code, signal] = await exited;
      // Ended by the signal itself (the shell's 130), not by a handler that ran only after the decryption.
      assert.deepEqual([code, signal], [null, "SIGINT"]);
      assert.equal(server.connections(), 0, "no connection before the key was read");
    } finally {
      await server.close();
    }
  });

  it(
    "npx ssh-ready --level command waits through a simulated boot and exits 0 once cloud-init finishes",
    { skip: opensshSkipReason() },
    async (t) => {
      const vm = await BootSimulator.create();
      try {
        const run = sshReady(
          [
            "127.0.0.1",
            "-p",
            String(vm.port),
            "-l",
            vm.user,
            "-i",
            userKey,
            "--level",
            "command",
            "--timeout",
            "60s",
          ],
          {
            command: ["npx", "--no-install", "ssh-ready"],
            // With nothing in its cache yet (a fresh machine), npx links this package and runs its prepare: a
            // full rebuild of dist/, under the test files running beside this one. The build is already there.
            env: { npm_config_ignore_scripts: "true" },
            onFirstAttempt: () => started(),
          },
        );
        // npx takes a while to start in a fresh clone: the VM boots once the command is waiting.
        let started: () => void = () => undefined;
        await new Promise<void>((resolve) => (started = resolve));
        // sshd runs without the key for 3 s, well past the first connection's re-offers (about 1.2 s), so a
        // "key not accepted" attempt is certain even on a loaded machine.
        await vm.boot(user.public, { withoutKey: 3000 });
        const done = await run;
        assert.equal(done.code, 0, done.stderr);
        const cloudInitDone = vm.at["cloud-init-done"]!;
        t.diagnostic(
          `exited ${(done.exitedAt - cloudInitDone).toFixed(0)} ms after cloud-init finished`,
        );
        assert.ok(done.exitedAt > cloudInitDone, "never before cloud-init finished");
        assert.match(done.stderr, /connection refused — sshd not listening yet/);
        assert.match(done.stderr, /key not accepted — authorized_keys not written yet/);
        assert.match(
          done.stderr,
          /attempt \d+: logged in; waiting for `cloud-init status --wait`\n/,
        );
        assert.match(done.stdout, /^ready: .* at level command after /);
        assert.match(done.stdout, /\nwarning: the host key changed during the wait: /);
      } finally {
        await vm.dispose();
      }
    },
  );
});
