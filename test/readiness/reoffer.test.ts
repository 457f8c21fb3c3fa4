// A key written while a connection is open is found on that connection: sshd reads authorized_keys again at
// every authentication request, so the engine offers the key again a few times (fewer than sshd's MaxAuthTries)
// before it reconnects. Against real OpenSSH and against an ssh2 server that counts the requests.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { waitForSsh, type AttemptEvent } from "../../components/readiness";
import { KEY_OFFERS } from "../../components/readiness/loop";
import { acceptingServer } from "../support/bad-servers";
import { ed25519 } from "../support/keys";
import {
  accountExists,
  accountTool,
  ensureUser,
  OpenSshServer,
} from "../../tools/simulator/openssh";
import { opensshSkipReason } from "../support/openssh";

const key = ed25519();
const skip = opensshSkipReason();

/** Resolves when sshd's log has a line matching `pattern`. */
async function logged(sshd: OpenSshServer, pattern: RegExp): Promise<void> {
  while (!sshd.log.some((line) => pattern.test(line))) await new Promise((r) => setTimeout(r, 10));
}

/** A wait for `sshd` as `username` with the test's key, and the events of its attempts. */
function wait(sshd: OpenSshServer, username: string) {
  const events: AttemptEvent[] = [];
  const waiting = waitForSsh({
    host: "127.0.0.1",
    port: sshd.port,
    username,
    privateKey: key.private,
    timeout: "30s",
    onAttempt: (e) => events.push(e),
  });
  return { events, waiting };
}

const count = (sshd: OpenSshServer, pattern: RegExp) =>
  sshd.log.filter((line) => pattern.test(line)).length;
const AUTH_LIMIT = /maximum authentication attempts exceeded/;
const CONNECTIONS = /^Connection from 127\.0\.0\.1/;

describe("re-offering the key on an open connection, against OpenSSH", { skip }, () => {
  const servers: OpenSshServer[] = [];
  const server = (options: ConstructorParameters<typeof OpenSshServer>[0] = {}) => {
    const sshd = new OpenSshServer(options);
    servers.push(sshd);
    return sshd;
  };
  after(async () => {
    for (const sshd of servers) await sshd.dispose();
  });

  it("is ready on the same connection when the key is written while it is open", async () => {
    const sshd = server();
    await sshd.start();
    const { events, waiting } = wait(sshd, sshd.user);
    await logged(sshd, /^Failed publickey for /);
    sshd.authorize(key.public);
    const result = await waiting;
    assert.equal(result.attempts, 1, events.map((e) => e.detail).join("; "));
    assert.equal(count(sshd, CONNECTIONS), 1, "one TCP connection, one key exchange");
    assert.equal(count(sshd, AUTH_LIMIT), 0);
  });

  it("reconnects for a user created while the connection is open (sshd keeps it invalid there)", async (t) => {
    // Under CI (CI=true) it runs as root, so it never skips there; elsewhere a skip says so loudly.
    if (process.getuid?.() !== 0 && process.env.CI !== "true") {
      const notice =
        "SKIPPED: the late-user test needs root to create a user: run the tests as root";
      process.stderr.write(`\n*** ${notice} ***\n\n`);
      return t.skip(notice);
    }
    const name = "ssh-ready-late";
    const drop = () => accountExists(name) && accountTool("userdel", [name]);
    drop();
    after(drop);
    const sshd = server({ user: name });
    sshd.authorize(key.public);
    await sshd.start();
    const { waiting } = wait(sshd, name);
    await logged(sshd, new RegExp(`^Invalid user ${name} `));
    ensureUser(name);
    const result = await waiting;
    assert.ok(result.attempts >= 2, "ready on a new connection");
    assert.equal(count(sshd, AUTH_LIMIT), 0);
  });

  it("with MaxAuthTries 2, hits the limit at most once, then stays under it, and gets ready", async () => {
    const sshd = server({ config: ["MaxAuthTries 2"] });
    await sshd.start();
    const { events, waiting } = wait(sshd, sshd.user);
    // Refused on three connections: the first learns the limit, the next two stay under it.
    while (count(sshd, CONNECTIONS) < 4) await new Promise((r) => setTimeout(r, 10));
    sshd.authorize(key.public);
    await waiting;
    assert.ok(count(sshd, AUTH_LIMIT) <= 1, sshd.log.filter((l) => AUTH_LIMIT.test(l)).join("\n"));
    const limited = events.findIndex((e) => /its MaxAuthTries/.test(e.detail));
    assert.ok(limited <= 0, "only the first connection can meet the limit");
    assert.match(
      events.find((e) => e.attempt === 2)?.detail ?? "",
      /^the server rejected the key$/,
      "one offer per connection after the limit was seen",
    );
  });
});

describe("MaxAuthTries 1, against OpenSSH", { skip }, () => {
  // sshd logs "maximum authentication attempts exceeded" for every connection whose one try fails: with
  // MaxAuthTries 1 that line per refused connection is the floor, and the key is offered once per connection.
  it("offers the key once per connection, one refusal and one sshd line each, and gets ready", async () => {
    const sshd = new OpenSshServer({ config: ["MaxAuthTries 1"] });
    after(() => sshd.dispose());
    await sshd.start();
    const { events, waiting } = wait(sshd, sshd.user);
    while (count(sshd, CONNECTIONS) < 3) await new Promise((r) => setTimeout(r, 10));
    sshd.authorize(key.public);
    await waiting;
    const refused = events.filter((e) => e.outcome === "auth-rejected");
    assert.ok(refused.length >= 2);
    for (const event of refused)
      assert.equal(
        event.detail,
        "the server ended the connection after 1 refusal of the key (its MaxAuthTries)",
      );
    assert.equal(count(sshd, /^Failed publickey for /), refused.length, "one offer a connection");
    assert.equal(count(sshd, AUTH_LIMIT), refused.length);
  });
});

describe("re-offering the key, counted by an ssh2 server", () => {
  it(`offers at most ${KEY_OFFERS} times a connection, then reconnects, until accepted`, async () => {
    const server = await acceptingServer({ refuse: (n) => n <= KEY_OFFERS + 2 });
    try {
      const result = await waitForSsh({
        host: "127.0.0.1",
        port: server.port,
        username: "u",
        privateKey: key.private,
        timeout: "20s",
      });
      assert.equal(result.attempts, 2);
      // ssh2 asks with the key first (a query), then signs: the accepted offer is two requests.
      assert.deepEqual(
        server.authRequestsPerConnection.map((n, i) => (i === 0 ? n : n >= 3)),
        [KEY_OFFERS, true],
      );
    } finally {
      await server.close();
    }
  });
});
