// Opening the session after a login: data the server sends before it answers the session request is
// acknowledged at once (with OpenSSH's no-more-sessions), so the server's Nagle algorithm never holds its answer
// for a delayed ACK. Against ssh2's server, which reports the message; OpenSSH's own log is in openssh.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Connection } from "ssh2";
import { waitForSsh } from "../../components/readiness";
import { ssh2Server } from "../support/bad-servers";
import { ed25519 } from "../support/keys";

const user = ed25519();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A server that, on the session request, first sends something of its own (it offers a forwarded channel, which
 * the client refuses), then waits up to `waitMs` for no-more-sessions before it answers.
 */
async function serverSpeakingFirst(ident: string | undefined, waitMs: number) {
  const seen: { atRequest?: boolean; atAnswer?: boolean } = {};
  const server = await ssh2Server({
    config: ident ? { ident } : {},
    onClient: (client: Connection) => {
      client.on("authentication", (ctx) => ctx.accept());
      // ssh2's server takes no-more-sessions only with a listener for global requests.
      client.on("request", (_accept, reject) => reject?.());
      client.on("ready", () =>
        client.on("session", async (accept) => {
          seen.atRequest = client.noMoreSessions;
          client.forwardOut("127.0.0.1", 1, "127.0.0.1", 2, () => undefined);
          for (const until = Date.now() + waitMs; !client.noMoreSessions && Date.now() < until;)
            await sleep(5);
          seen.atAnswer = client.noMoreSessions;
          accept().on("exec", (acceptExec) => {
            const stream = acceptExec();
            stream.exit(0);
            stream.end();
          });
        }),
      );
    },
  });
  return { server, seen };
}

const wait = (port: number) =>
  waitForSsh({ host: "127.0.0.1", port, username: "u", privateKey: user.private, level: "auth" });

describe("opening the session", () => {
  it("answers data that comes before the server's answer with no-more-sessions, after the session request", async () => {
    const { server, seen } = await serverSpeakingFirst("OpenSSH_9.2p1", 10_000);
    try {
      const result = await wait(server.port);
      assert.equal(result.attempts, 1);
      assert.deepEqual(seen, { atRequest: false, atAnswer: true });
    } finally {
      await server.close();
    }
  });

  it("sends a server that is not OpenSSH nothing, and still opens the session", async () => {
    // ssh2's own banner (SSH-2.0-ssh2js<version>srv) passes ssh2's loose vendor check, not ours. An answer would
    // come within milliseconds.
    const { server, seen } = await serverSpeakingFirst(undefined, 500);
    try {
      const result = await wait(server.port);
      assert.equal(result.attempts, 1);
      assert.deepEqual(seen, { atRequest: false, atAnswer: false });
    } finally {
      await server.close();
    }
  });
});
