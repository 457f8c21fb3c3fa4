// Every failure class reproduced for real on loopback, one attempt at a time, and every socket closed after.
import { systemClock } from "../../components/readiness/clock";
import { Deadline } from "../../components/readiness/deadline";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import {
  isCodeMistake,
  runAttempt,
  withBootId,
  type AttemptOutcome,
} from "../../components/readiness/attempt";
import { fingerprintOf } from "../../components/readiness/host-key";
import type { WaitForSshOptions } from "../../components/readiness/options";
import { resolveOptions } from "../../components/readiness/resolve";
import {
  acceptingServer,
  closingServer,
  fullQueueServer,
  httpServer,
  silentServer,
  ssh2Server,
  stallingServer,
  type AcceptingSsh,
  type CommandAnswer,
  type InProcessSsh,
  type Listening,
} from "../support/bad-servers";
import { ed25519 } from "../support/keys";
import { freePort } from "../../tools/simulator/openssh";
import { utils } from "ssh2";

const user = ed25519();
const login = { username: "azureuser", privateKey: user.private };

function attempt(
  options: Partial<WaitForSshOptions>,
  remainingMs = 10_000,
): Promise<AttemptOutcome> {
  return runAttempt(
    resolveOptions({ host: "127.0.0.1", attemptTimeout: "500ms", ...options } as WaitForSshOptions),
    { deadline: new Deadline(systemClock, remainingMs) },
  );
}

async function allClosed(server: Listening): Promise<void> {
  for (let i = 0; i < 100 && server.open() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(server.open(), 0, "every connection the attempt opened is closed");
}

describe("one attempt, classified", () => {
  it("refused: nothing listens on the port", async () => {
    const outcome = await attempt({ port: await freePort(), level: "tcp" });
    assert.equal(outcome.failure, "refused");
    assert.equal(outcome.reached, "connect");
    assert.match(outcome.detail, /ECONNREFUSED/);
  });

  it("timeout: the listen queue is full, so the SYN goes unanswered", async () => {
    const server = await fullQueueServer();
    try {
      const outcome = await attempt({ port: server.port, level: "tcp", attemptTimeout: "300ms" });
      assert.equal(outcome.failure, "timeout");
      assert.equal(outcome.reached, "connect");
      assert.equal(outcome.detail, `no answer from 127.0.0.1:${server.port} within 300ms`);
    } finally {
      await server.close();
    }
  });

  it("unreachable: no route (loopback down in a network namespace of our own)", (t) => {
    if (process.getuid?.() !== 0 && process.env.CI !== "true") {
      const notice =
        "SKIPPED: the unreachable test needs root for `unshare -n`: run the tests as root";
      process.stderr.write(`\n*** ${notice} ***\n\n`);
      return t.skip(notice);
    }
    const script = `
      const { runAttempt } = require(${JSON.stringify(require.resolve("../../components/readiness/attempt"))});
      const { resolveOptions } = require(${JSON.stringify(require.resolve("../../components/readiness/resolve"))});
      const { systemClock } = require(${JSON.stringify(require.resolve("../../components/readiness/clock"))});
      const { Deadline } = require(${JSON.stringify(require.resolve("../../components/readiness/deadline"))});
      runAttempt(resolveOptions({ host: "127.0.0.1", port: 22, level: "tcp" }), {
        deadline: new Deadline(systemClock, 2000),
      })
        .then((o) => console.log(JSON.stringify(o)));`;
    const child = spawnSync("unshare", ["-n", process.execPath, "-e", script], {
      encoding: "utf8",
    });
    assert.equal(child.status, 0, child.stderr);
    const outcome = JSON.parse(child.stdout) as AttemptOutcome;
    assert.equal(outcome.failure, "unreachable");
    assert.match(outcome.detail, /ENETUNREACH/);
  });

  it("dns: the name does not resolve (an injected resolver answers, no real DNS query)", async () => {
    const asked: string[] = [];
    const lookup = ((hostname: string, _options: unknown, callback: (err: Error) => void) => {
      asked.push(hostname);
      const err = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
        code: "ENOTFOUND",
        syscall: "getaddrinfo",
        hostname,
      });
      process.nextTick(() => callback(err));
    }) as never;
    const outcome = await attempt({ host: "builder-vm.internal.example", level: "tcp", lookup });
    assert.deepEqual(asked, ["builder-vm.internal.example"]);
    assert.equal(outcome.failure, "dns");
    assert.equal(outcome.reached, "connect");
  });

  describe("servers that accept but are not a working sshd", () => {
    let closing: Listening, silent: Listening, web: Listening;
    before(async () => {
      [closing, silent, web] = await Promise.all([closingServer(), silentServer(), httpServer()]);
    });
    after(() => Promise.all([closing, silent, web].map((s) => s.close())));

    for (const level of ["banner", "auth"] as const) {
      it(`reset at level ${level}: accepted, then closed before the banner`, async () => {
        const outcome = await attempt({
          port: closing.port,
          level,
          ...(level === "auth" ? login : {}),
        });
        assert.equal(outcome.failure, "reset");
        assert.equal(outcome.reached, "banner");
        await allClosed(closing);
      });

      it(`no-banner at level ${level}: accepted, then silent`, async () => {
        const outcome = await attempt({
          port: silent.port,
          level,
          attemptTimeout: "300ms",
          ...(level === "auth" ? login : {}),
        });
        assert.equal(outcome.failure, "no-banner");
        assert.equal(outcome.detail, "connected, but no SSH banner within 300ms");
        await allClosed(silent);
      });

      it(`not-ssh at level ${level}: an HTTP server answers`, async () => {
        const outcome = await attempt({
          port: web.port,
          level,
          ...(level === "auth" ? login : {}),
        });
        assert.equal(outcome.failure, "not-ssh");
        assert.equal(outcome.reached, "banner");
        await allClosed(web);
      });
    }
  });

  it("handshake: no key exchange algorithm in common", async () => {
    const server = await ssh2Server({
      config: { algorithms: { kex: ["diffie-hellman-group1-sha1"] } },
    });
    try {
      const outcome = await attempt({ port: server.port, ...login });
      assert.equal(outcome.failure, "handshake");
      assert.equal(outcome.reached, "handshake");
      assert.match(outcome.banner ?? "", /^SSH-2\.0-/);
      await allClosed(server);
    } finally {
      await server.close();
    }
  });

  it("handshake: the server stalls after its banner, and the attempt ends on its time limit", async () => {
    const server = await stallingServer();
    try {
      const outcome = await attempt({ port: server.port, attemptTimeout: "300ms", ...login });
      assert.equal(outcome.failure, "handshake");
      assert.equal(outcome.detail, "key exchange did not finish within 300ms");
      await allClosed(server);
    } finally {
      await server.close();
    }
  });

  describe("against an in-process SSH server", () => {
    let rejecting: InProcessSsh;
    before(async () => {
      rejecting = await ssh2Server();
    });
    after(() => rejecting.close());

    it("auth-rejected: sshd answers, the key is not (yet) authorized", async () => {
      const outcome = await attempt({ port: rejecting.port, ...login });
      assert.equal(outcome.failure, "auth-rejected");
      assert.equal(outcome.reached, "auth");
      assert.equal(outcome.hostKey?.line.split(" ")[1], rejecting.hostKeyPublic.split(" ")[1]);
      await allClosed(rejecting);
    });

    it("banner: reads the identification line", async () => {
      const outcome = await attempt({ port: rejecting.port, level: "banner" });
      assert.equal(outcome.ok, true);
      assert.match(outcome.banner ?? "", /^SSH-2\.0-ssh2js/);
    });
  });

  it("host-key-mismatch: fails before any authentication is sent", async () => {
    const ssh = await acceptingServer();
    try {
      const outcome = await attempt({ port: ssh.port, ...login, hostKeyPin: ed25519().public });
      assert.equal(outcome.failure, "host-key-mismatch");
      assert.equal(outcome.fatal, true);
      assert.equal(ssh.authRequests(), 0);
      const presented = utils.parseKey(ssh.hostKeyPublic);
      assert.ok(!(presented instanceof Error));
      assert.equal(outcome.hostKey?.fingerprint, fingerprintOf(presented.getPublicSSH()));
      assert.equal(outcome.detail, `ssh-ed25519 ${outcome.hostKey?.fingerprint} is not pinned`);
      await allClosed(ssh);
    } finally {
      await ssh.close();
    }
  });

  describe("commands", () => {
    let ssh: AcceptingSsh;
    let script: (command: string) => CommandAnswer;
    before(async () => {
      ssh = await acceptingServer({ answer: (command) => script(command) });
    });
    after(() => ssh.close());

    it("auth: a pinned key is accepted and a session runs `true`", async () => {
      script = () => ({ code: 0 });
      const outcome = await attempt({ port: ssh.port, ...login, hostKeyPin: ssh.hostKeyPublic });
      assert.equal(outcome.ok, true);
      assert.equal(outcome.reached, "auth");
      assert.equal(ssh.commands.at(-1), "true");
      await allClosed(ssh);
    });

    it("a mistake in code is no network fault: a hook's TypeError ends the attempt as itself, sockets closed", async () => {
      script = () => ({ code: 0 });
      const bug = new TypeError("Cannot read properties of undefined (reading 'elapsedMs')");
      const opts = resolveOptions({
        host: "127.0.0.1",
        port: ssh.port,
        ...login,
        level: "command",
      });
      await assert.rejects(
        runAttempt(opts, {
          deadline: new Deadline(systemClock, 10_000),
          onCommandStart: () => {
            throw bug;
          },
        }),
        (error) => error === bug,
      );
      await allClosed(ssh);
      // ssh2's own TypeErrors are the server's doing (a hostile server can make its parser read a missing field).
      const fromSsh2 = new TypeError("Cannot read properties of undefined (reading 'parse')");
      fromSsh2.stack = `TypeError: ${fromSsh2.message}\n    at parseKEXInit (/app/node_modules/ssh2/lib/protocol/kex.js:10:5)`;
      assert.equal(isCodeMistake(fromSsh2), false);
      assert.equal(isCodeMistake(bug), true);
      assert.equal(isCodeMistake(new Error("Not connected")), false);
    });

    it("command-failed: a custom command's exit code and output tail are kept, and it is retried", async () => {
      script = () => ({ output: `${"x".repeat(5000)}\nnot yet\n`, code: 7 });
      const outcome = await attempt({
        port: ssh.port,
        ...login,
        level: "command",
        command: "test -f /ready",
      });
      assert.equal(outcome.failure, "command-failed");
      assert.equal(outcome.exitCode, 7);
      assert.equal(outcome.fatal, false);
      assert.equal(outcome.output?.length, 2047); // the last 2 KiB, trimmed
      assert.equal(outcome.detail, "the command exited 7: not yet");
      await allClosed(ssh);
    });

    it("command-timeout: the command outlives the command timeout", async () => {
      script = () => ({ output: "...", hang: true });
      const outcome = await attempt({
        port: ssh.port,
        ...login,
        level: "command",
        commandTimeout: "300ms",
      });
      assert.equal(outcome.failure, "command-timeout");
      assert.equal(outcome.detail, "the command was still running after 300ms; last output: ...");
      await allClosed(ssh);
    });

    it("cloud-init exit 2 is ready, with a warning", async () => {
      script = (command) =>
        command === "true"
          ? { code: 0 }
          : { output: "status: done\nrecoverable error: apt\n", code: 2 };
      const outcome = await attempt({ port: ssh.port, ...login, level: "command" });
      assert.equal(outcome.ok, true);
      assert.deepEqual(outcome.warnings, [
        "cloud-init finished with recoverable errors (exit 2): recoverable error: apt",
      ]);
    });

    it("cloud-init exit 1 is final: waiting cannot fix a crashed cloud-init", async () => {
      script = () => ({ output: "status: error\n", code: 1 });
      const outcome = await attempt({ port: ssh.port, ...login, level: "command" });
      assert.equal(outcome.failure, "command-failed");
      assert.equal(outcome.fatal, true);
    });

    it("a host without cloud-init is ready, with a note", async () => {
      script = (command) =>
        command === "true"
          ? { code: 0 }
          : { output: "ssh-ready: no cloud-init on this host\n", code: 0 };
      const outcome = await attempt({ port: ssh.port, ...login, level: "command" });
      assert.equal(outcome.ok, true);
      assert.deepEqual(outcome.warnings, [
        "cloud-init is not installed on the host: ready means a command ran",
      ]);
    });

    it("needs no confirming login when cloud-init was already done (no wait dots), one when it waited", async () => {
      const run = async (output: string) => {
        script = (command) => (command === "true" ? { code: 0 } : { output, code: 0 });
        const connectionsBefore = ssh.connections();
        const outcome = await attempt({ port: ssh.port, ...login, level: "command" });
        assert.equal(outcome.ok, true);
        return ssh.connections() - connectionsBefore;
      };
      assert.equal(await run("\nstatus: done\n"), 1, "done when asked: its restarts came before");
      assert.equal(
        await run("....\nstatus: done\n"),
        2,
        "it waited: sshd may have restarted since",
      );
      assert.equal(
        await run("ssh-ready: no cloud-init on this host\n"),
        2,
        "no cloud-init: nothing is known about restarts",
      );
      await allClosed(ssh);
    });

    it("confirms a long command's success with a fresh login, and no session on it", async () => {
      script = () => ({ code: 0 });
      const before = ssh.commands.length;
      const connectionsBefore = ssh.connections();
      const outcome = await attempt({
        port: ssh.port,
        ...login,
        level: "command",
        command: "sleep 1",
      });
      assert.equal(outcome.ok, true);
      assert.equal(
        ssh.connections() - connectionsBefore,
        2,
        "the command's login, then a fresh one",
      );
      // The command, after the line that tells its boot; the confirmation runs nothing.
      assert.deepEqual(ssh.commands.slice(before), [withBootId("sleep 1")]);
      await allClosed(ssh);
    });
  });
});
