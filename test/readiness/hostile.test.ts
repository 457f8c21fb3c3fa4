// waitForSsh against hostile and broken servers on loopback: each misbehaviour is one classified, retried
// attempt (or a clear failure), never a crash, an unbounded buffer or an attempt that outlives its cause.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import net from "node:net";
import { describe, it } from "node:test";
import {
  SshNotReadyError,
  waitForSsh,
  type AttemptEvent,
  type WaitForSshOptions,
} from "../../components/readiness";
import { ssh2Server, type Listening } from "../support/bad-servers";
import { ed25519 } from "../support/keys";

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

  it("is a classified reset of the jump host when the jump host does it", async () => {
    const jump = await closesAfterAuth();
    try {
      const { error, events } = await failingWait({
        host: "10.0.0.5",
        port: 22,
        username: "u",
        privateKey: user.private,
        timeout: "1500ms",
        jumpHost: { host: "127.0.0.1", port: jump.port, username: "j" },
      });
      assert.ok(events.length >= 2, "retried");
      assert.ok(
        events.every((e) => e.hop === "jump" && e.outcome === "reset"),
        JSON.stringify(events),
      );
      assert.equal(error.last.hop, "jump");
    } finally {
      await jump.close();
    }
  });
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
        // The attempt limit is far beyond the overall deadline: an attempt that waited for it would be the
        // only one, cut by the deadline.
        const { events } = await failingWait({
          host: "127.0.0.1",
          port: server.port,
          username: "u",
          privateKey: user.private,
          timeout: "2500ms",
          attemptTimeout: "1h",
        });
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
