// waitForSsh end to end on in-process servers: aborting mid-handshake, and secrets kept out of every
// message and event.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SshNotReadyError, waitForSsh, type AttemptEvent } from "../../components/readiness";
import { ssh2Server, stallingServer } from "../support/bad-servers";
import { ed25519, sshKeygen } from "../support/keys";

describe("waitForSsh", () => {
  it("rejects with the signal's reason at once when aborted mid-handshake, and closes the socket", async () => {
    const server = await stallingServer();
    try {
      const user = ed25519();
      const controller = new AbortController();
      const reason = new Error("user pressed Ctrl-C");
      const wait = waitForSsh({
        host: "127.0.0.1",
        port: server.port,
        username: "u",
        privateKey: user.private,
        signal: controller.signal,
        // Only the abort can end this attempt early: the server stalls, and its limit is ten minutes.
        attemptTimeout: "10m",
        timeout: "20m",
      });
      while (server.connections() === 0) await new Promise((r) => setTimeout(r, 10));
      const abortedAt = performance.now();
      controller.abort(reason);
      await assert.rejects(wait, (e) => e === reason);
      // Not the attempt's ten minutes: the abort ended it (a margin no busy machine comes near).
      assert.ok(performance.now() - abortedAt < 60_000, "rejects on the abort, not on a timer");
      for (let i = 0; i < 500 && server.open() > 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      assert.equal(server.open(), 0, "the socket is closed");
      assert.equal(server.connections(), 1, "no attempt after the abort");
    } finally {
      await server.close();
    }
  });

  it("never puts the private key or its passphrase in a message or an event", async () => {
    const passphrase = "hunter2-correct-horse";
    const key = sshKeygen("ed25519", { passphrase });
    const server = await ssh2Server(); // rejects every key
    try {
      const events: AttemptEvent[] = [];
      const error = await waitForSsh({
        host: "127.0.0.1",
        port: server.port,
        username: "azureuser",
        privateKey: key.private,
        passphrase,
        timeout: "2500ms",
        onAttempt: (e) => events.push(e),
      }).catch((e: unknown) => e);
      assert.ok(error instanceof SshNotReadyError);
      const everything = [
        error.message,
        error.stack,
        JSON.stringify(error),
        JSON.stringify(events),
      ].join("\n");
      assert.ok(!everything.includes(passphrase));
      for (const line of key.private
        .split("\n")
        .filter((l) => l.length > 20 && !l.startsWith("-----"))) {
        assert.ok(!everything.includes(line), "no line of the private key");
      }
      const counted = events.filter((e) => !e.cutByDeadline);
      assert.ok(counted.length >= 1 && counted.every((e) => e.outcome === "auth-rejected"));
    } finally {
      await server.close();
    }
  });

  it("keeps the passphrase out of input errors too", async () => {
    const passphrase = "hunter2-correct-horse";
    const key = ed25519(passphrase);
    const error = await waitForSsh({
      host: "h",
      username: "u",
      privateKey: key.private,
      passphrase: "wrong-" + passphrase,
    }).catch((e: unknown) => e as Error);
    assert.ok(error instanceof TypeError);
    assert.ok(!error.message.includes(passphrase));
  });
});
