// The SSH part of an attempt over an already connected stream: read the server's banner, log in with ssh2
// (verifying the host key before any authentication is sent), and run a command.
import type { Duplex } from "node:stream";
import {
  Client,
  type AuthHandlerMiddleware,
  type ClientChannel,
  type ParsedKey,
  type PublicKeyAuthMethod,
} from "ssh2";
import { classifySocketError, type FailureClass, type Phase } from "./classify";
import { formatDuration } from "./duration";
import { describeHostKey, type HostKeyInfo, type HostKeyPin } from "./host-key";
import { printable, shown } from "./printable";
import type { Limit } from "./deadline";
import { AttemptFailure, step, type Resources } from "./step";

/** What one connection has shown so far; failures are classified from it. */
export class ConnectionState {
  reached: Phase = "banner";
  banner?: string;
  /** The server sent bytes that are not an SSH identification line. */
  sawOther = false;
  hostKey?: HostKeyInfo;
  hostKeyRejected = false;
  /** Times the key was offered on this connection (each one the server refuses counts toward MaxAuthTries). */
  keyOffers = 0;
  /** Times the server refused the key on this connection. */
  keyRefusals = 0;
  /** The server ended the connection for too many authentication failures (sshd's MaxAuthTries). */
  authLimitHit = false;

  constructor(readonly hop: "target" | "jump") {}

  fail(failure: FailureClass, detail: string, fatal = false): AttemptFailure {
    return new AttemptFailure(failure, this.reached, detail, this.hop, fatal);
  }

  /** The failure when the server closes the connection now. */
  closed(): AttemptFailure {
    if (this.reached === "banner") {
      return this.sawOther
        ? this.fail("not-ssh", "the server sent something that is not an SSH banner, then closed")
        : this.fail("reset", "connection closed before the SSH banner");
    }
    return this.fail("reset", `connection closed during ${this.reached}`);
  }
}

/** RFC 4253 §4.2: the identification line is at most 255 bytes, CR LF included. */
const MAX_IDENT_BYTES = 255;
/** Lines a server may send before it (RFC 4253 §4.2), bounded as ssh2 bounds them. */
const MAX_LINES_BEFORE_IDENT = 1024;
const MAX_LINE_BYTES = 8192;

/** An SSH-2 server's identification: `SSH-2.0-software` or, from a server that also speaks SSH-1, `SSH-1.99-`. */
const SSH2_IDENT = /^SSH-(2\.0|1\.99)-[\x21-\x2c\x2e-\x7e]+( [\x20-\x7e]*)?$/;

/**
 * Watches the bytes the server sends until its `SSH-…` identification line, holding at most one line. A line
 * over the limits ends the watch: `onBad` gets the failure (`not-ssh`), so memory stays bounded whatever the
 * server streams.
 */
function tapIdent(
  stream: Duplex,
  state: ConnectionState,
  onIdent: () => void,
  onBad: (failure: AttemptFailure) => void,
): void {
  let pending = "";
  let lines = 0;
  const stop = (detail: string) => {
    stream.removeListener("data", onData);
    pending = "";
    state.sawOther = true;
    onBad(state.fail("not-ssh", detail));
  };
  function onData(chunk: Buffer) {
    pending += chunk.toString("latin1");
    let end: number;
    while ((end = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, end).replace(/\r$/, "");
      pending = pending.slice(end + 1);
      if (line.startsWith("SSH-")) {
        stream.removeListener("data", onData);
        if (end + 1 > MAX_IDENT_BYTES)
          return stop(`the server's identification line is over ${MAX_IDENT_BYTES} bytes`);
        state.banner = line;
        if (state.reached === "banner") state.reached = "handshake";
        onIdent();
        return;
      }
      state.sawOther = true;
      if (++lines > MAX_LINES_BEFORE_IDENT)
        return stop(`the server sent over ${MAX_LINES_BEFORE_IDENT} lines and no SSH banner`);
    }
    // Anything that cannot become an identification line is another protocol.
    if (pending.length >= 4 && !pending.startsWith("SSH-")) state.sawOther = true;
    if (pending.startsWith("SSH-") && pending.length > MAX_IDENT_BYTES)
      return stop(`the server's identification line is over ${MAX_IDENT_BYTES} bytes`);
    if (pending.length > MAX_LINE_BYTES)
      return stop(`the server sent a line over ${MAX_LINE_BYTES} bytes and no SSH banner`);
  }
  stream.on("data", onData);
}

function bannerTimeout(state: ConnectionState, limit: Limit): () => AttemptFailure {
  const ms = limit.ms;
  return () =>
    state.sawOther
      ? state.fail("not-ssh", "the server answered with something that is not an SSH banner")
      : state.fail("no-banner", `connected, but no SSH banner within ${formatDuration(ms)}`);
}

/** An SSH-2 identification's protocol version, whatever its software and comment say. */
const SSH2_VERSION = /^SSH-(2\.0|1\.99)-\S/;

/**
 * The failure of an identification line that is not SSH 2's (SSH-1, a bare `SSH-`), or undefined. `strict`
 * checks the whole line (level banner); a login checks only the version, as ssh2 does, so a server whose
 * comment holds odd characters still logs in.
 */
function identFailure(state: ConnectionState, strict: boolean): AttemptFailure | undefined {
  const banner = state.banner ?? "";
  if ((strict ? SSH2_IDENT : SSH2_VERSION).test(banner)) return undefined;
  state.sawOther = true;
  return state.fail(
    "not-ssh",
    /^SSH-1\.\d+-/.test(banner)
      ? `the server speaks SSH 1 ("${shown(banner)}"), not SSH 2`
      : `the server's identification "${shown(banner)}" is not SSH 2's "SSH-2.0-software"`,
  );
}

/**
 * What ssh2 says of a server's message it could not read. Its own parser can fail on a hostile server with a
 * JavaScript error ("Cannot read properties of undefined (reading 'parse')" for a key exchange packet before
 * KEXINIT): that text says nothing to a user, so it is named for what the server did.
 */
export function ssh2Detail(err: Error): string {
  return err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError
    ? "the server sent an SSH message out of order or malformed (the client could not read it)"
    : printable(err.message);
}

/** Level `banner`: sends our identification (so protocols that wait for the client speak) and reads the server's. */
export function readBanner(
  stream: Duplex,
  state: ConnectionState,
  limit: Limit,
  signal: AbortSignal | undefined,
): Promise<string> {
  return step<string>(signal, limit, bannerTimeout(state, limit), (resolve, reject) => {
    tapIdent(
      stream,
      state,
      () => {
        const failure = identFailure(state, true);
        if (failure) reject(failure);
        else resolve(state.banner ?? "");
      },
      reject,
    );
    stream.once("close", () => reject(state.closed()));
    stream.on("error", (err: NodeJS.ErrnoException) =>
      reject(state.fail(classifySocketError(err) ?? "reset", err.message)),
    );
    stream.write("SSH-2.0-ssh_ready\r\n");
  });
}

export interface Login {
  username: string;
  key: ParsedKey;
  pin?: HostKeyPin;
  /** Host key algorithms to offer, best first; undefined for ssh2's defaults. */
  hostKeyAlgorithms?: string[];
  /**
   * How often the key may be offered on this connection, and how far apart: sshd reads authorized_keys again
   * at every request, so a key written while the connection is open is found without a new connection. Each
   * refusal counts toward the server's MaxAuthTries. Defaults to once.
   */
  offers?: { max: number; everyMs: number };
}

/** sshd's words when it ends a connection at MaxAuthTries. */
const AUTH_LIMIT = /too many authentication failures/i;

/**
 * Logs in over `stream`. The banner wait and the key exchange + authentication each get a `limit()`.
 * Resolves with the logged-in client; everything opened is registered in `resources`.
 */
export async function login(
  stream: Duplex,
  credentials: Login,
  state: ConnectionState,
  limit: () => Limit,
  signal: AbortSignal | undefined,
  resources: Resources,
): Promise<Client> {
  const client = new Client();
  resources.add(() => client.end());
  // Failures arrive as events at any time; the step in progress takes them, or the next one does.
  let failStep: ((failure: AttemptFailure) => void) | undefined;
  let pendingFailure: AttemptFailure | undefined;
  // Kept even when a step takes it: an error can arrive with the banner, just as the banner step resolves,
  // and the next step must see it instead of waiting out its time limit.
  const fail = (failure: AttemptFailure) => {
    pendingFailure ??= failure;
    failStep?.(failure);
  };
  client.on("error", (err: Error & { level?: string; code?: unknown }) =>
    fail(classifyClientError(err, state)),
  );
  client.on("close", () => fail(state.closed()));
  client.on("handshake", () => {
    state.reached = "auth";
  });

  const publicKeyAuth: PublicKeyAuthMethod = {
    type: "publickey",
    username: credentials.username,
    key: credentials.key,
  };
  const offers = credentials.offers ?? { max: 1, everyMs: 0 };
  // The key parsed up front is the one method; after a refusal it is offered again on this connection, a
  // bounded number of times, unless the server no longer takes public keys.
  const authHandler: AuthHandlerMiddleware = (authsLeft, _partialSuccess, next) => {
    // ssh2 asks again after each refusal, with the methods the server still takes (null the first time).
    if (Array.isArray(authsLeft) && state.keyOffers > 0) state.keyRefusals += 1;
    const refused = Array.isArray(authsLeft) && !authsLeft.includes("publickey");
    if (state.keyOffers >= offers.max || refused) return next(false as never);
    state.keyOffers += 1;
    if (state.keyOffers === 1) return next(publicKeyAuth);
    resources.add(limit().timer(offers.everyMs, () => next(publicKeyAuth)));
  };
  let identSeen: () => void = () => undefined;
  // Not SSH 2 (SSH-1, a bare `SSH-`): the same failure as at level banner, at once, before ssh2 reads it.
  tapIdent(
    stream,
    state,
    () => {
      const failure = identFailure(state, false);
      if (failure) fail(failure);
      else identSeen();
    },
    fail,
  );
  client.connect({
    sock: stream,
    username: credentials.username,
    // The key parsed up front: the key text is never handed around again.
    authHandler,
    readyTimeout: 0,
    keepaliveInterval: 0,
    algorithms: credentials.hostKeyAlgorithms
      ? { serverHostKey: credentials.hostKeyAlgorithms as never }
      : undefined,
    hostVerifier: (blob: Buffer) => {
      state.hostKey = describeHostKey(blob);
      if (credentials.pin && !credentials.pin.matches(state.hostKey)) {
        state.hostKeyRejected = true;
        return false;
      }
      return true;
    },
  });

  const bannerLimit = limit();
  await step<void>(signal, bannerLimit, bannerTimeout(state, bannerLimit), (resolve, reject) => {
    failStep = reject;
    if (pendingFailure) return reject(pendingFailure);
    if (state.banner) return resolve();
    identSeen = resolve;
  });
  const loginLimit = limit();
  const loginMs = loginLimit.ms;
  await step<void>(
    signal,
    loginLimit,
    () =>
      // The server refused the key and the limit ended the offers that followed: that is a refused key,
      // whatever the limit; only a server silent to the key, or a key exchange that stalls, is a handshake one.
      state.keyRefusals > 0
        ? state.fail(
            "auth-rejected",
            `the server rejected the key (offered ${state.keyOffers} time${state.keyOffers === 1 ? "" : "s"} ` +
              `on one connection; the attempt limit of ${formatDuration(loginMs)} ended the offers)`,
          )
        : state.fail(
            "handshake",
            state.reached === "auth"
              ? `no answer to authentication within ${formatDuration(loginMs)}`
              : `key exchange did not finish within ${formatDuration(loginMs)}`,
          ),
    (resolve, reject) => {
      failStep = reject;
      if (pendingFailure) return reject(pendingFailure);
      client.once("ready", () => resolve());
    },
  );
  // Later failures (the connection closing while a command runs) belong to whoever runs the command.
  failStep = () => undefined;
  state.reached = "command";
  return client;
}

/** Classifies an ssh2 client error by its `level`, its numeric DISCONNECT reason, and the state. */
function classifyClientError(
  err: Error & { level?: string; code?: unknown },
  state: ConnectionState,
): AttemptFailure {
  if (state.hostKeyRejected) {
    const key = state.hostKey;
    return state.fail(
      "host-key-mismatch",
      key ? `${key.type} ${key.fingerprint} is not pinned` : "the server's host key is not pinned",
      true,
    );
  }
  switch (err.level) {
    case "client-authentication":
      return state.fail(
        "auth-rejected",
        state.keyOffers > 1
          ? `the server rejected the key, offered ${state.keyOffers} times on one connection`
          : "the server rejected the key",
      );
    case "client-socket": {
      const failure = classifySocketError(err as NodeJS.ErrnoException) ?? "reset";
      return failure === "reset" ? state.closed() : state.fail(failure, err.message);
    }
    case "protocol":
      if (!state.banner)
        return state.sawOther ? state.fail("not-ssh", ssh2Detail(err)) : state.closed();
      return state.fail("handshake", ssh2Detail(err));
    case "handshake":
      return state.fail("handshake", ssh2Detail(err));
  }
  if (typeof err.code === "number") {
    // The server sent DISCONNECT.
    if (state.reached === "auth" && AUTH_LIMIT.test(err.message)) {
      state.authLimitHit = true;
      return state.fail(
        "auth-rejected",
        `the server ended the connection after ${state.keyOffers} refusal${state.keyOffers === 1 ? "" : "s"} of the key (its MaxAuthTries)`,
      );
    }
    return state.reached === "auth"
      ? state.fail("auth-rejected", `the server disconnected during authentication: ${err.message}`)
      : state.fail("handshake", `the server disconnected: ${err.message}`);
  }
  return state.fail("handshake", ssh2Detail(err));
}

/**
 * Put before a command so that it ends with the session, for any user. sshd starts each session's shell as a
 * process group of its own (setsid), and closes the command's input when the session ends, however it ends (we
 * close the channel, or our process dies and the connection drops). A watcher in the background keeps the
 * session's input; when it ends, the watcher sends SIGTERM to the whole group: the command and whatever it
 * started. When the command ends first, the shell's exit trap ends the watcher, and the command's exit status is
 * the session's. The command itself reads /dev/null. Needs a POSIX shell as the user's login shell, as the
 * default command does.
 */
export const SESSION_BOUND =
  "exec 3<&0 </dev/null; " +
  "( while read -r _ <&3; do :; done; kill -TERM 0 ) >/dev/null 2>&1 & ssh_ready_watcher=$!; " +
  "exec 3<&-; trap 'kill $ssh_ready_watcher 2>/dev/null' EXIT\n";

/** The command as sent to the server: ended by the end of the session (see SESSION_BOUND). */
export function boundToSession(command: string): string {
  return `${SESSION_BOUND}${command}`;
}

/** The command a user wrote, from what was sent: for servers that run no shell (tests, simulations). */
export function unbound(sent: string): string {
  return sent.startsWith(SESSION_BOUND) ? sent.slice(SESSION_BOUND.length) : sent;
}

export interface CommandRun {
  exitCode: number | null;
  /** The last 2 KiB of stdout and stderr together. */
  output: string;
  /** The first line of stdout, when it matched the `marker` given (and is then not in `output`). */
  marked?: string;
}

/** The longest first line `runCommand` looks at for its marker. */
const MARKER_LINE_BYTES = 200;

const OUTPUT_TAIL_BYTES = 2048;

/** Data from the server acknowledged at once while the session opens: its post-login messages come in a few. */
const SESSION_OPEN_ACKS = 3;
const OPENSSH_BANNER = /^SSH-2\.0-OpenSSH_/;

/**
 * While the session opens, answers each piece of data the server sends (after a login OpenSSH sends its host
 * keys and debug lines about the key's options) with OpenSSH's no-more-sessions message, which needs no reply
 * and which OpenSSH's own client sends too: this connection opens no other session. The answer carries the TCP
 * acknowledgement at once. Without it the server's Nagle algorithm may hold its answer to the session request
 * until the client's delayed acknowledgement (40 ms on Linux), as it did in about half the logins measured here.
 * Only a server whose banner says OpenSSH gets it (ssh2's own check takes any version with two digits in a row).
 */
function acknowledgeWhileOpening(client: Client, stream: Duplex, banner: string): () => void {
  let left = OPENSSH_BANNER.test(banner) ? SESSION_OPEN_ACKS : 0;
  const answer = () => {
    if (left <= 0) return;
    left -= 1;
    try {
      // No callback, so no reply is asked for: ssh2's types want one, its code takes none.
      (client as unknown as { openssh_noMoreSessions(): Client }).openssh_noMoreSessions();
    } catch {
      // Not connected any more: the session request fails on its own.
    }
  };
  stream.on("data", answer);
  return () => {
    left = 0;
    stream.removeListener("data", answer);
  };
}

/** Runs `command` in a session on `client` (logged in over `stream`); resolves when the session closes. */
export function runCommand(
  client: Client,
  stream: Duplex,
  command: string,
  state: ConnectionState,
  limit: Limit,
  signal: AbortSignal | undefined,
  resources: Resources,
  /** A first line of stdout that is ours, not the command's (see attempt.ts, withBootId). */
  marker?: RegExp,
  /** Called with that line as soon as it has come. */
  onMarked?: (line: string) => void,
): Promise<CommandRun> {
  let output = Buffer.alloc(0);
  const keep = (chunk: Buffer) => {
    output = Buffer.concat([output, chunk]);
    if (output.length > OUTPUT_TAIL_BYTES * 2) output = output.subarray(-OUTPUT_TAIL_BYTES);
  };
  // stdout's first line, held until it ends: the marker's, or given back to the output.
  let head: Buffer | undefined = marker ? Buffer.alloc(0) : undefined;
  let marked: string | undefined;
  const firstLine = (chunk: Buffer) => {
    if (!head) return keep(chunk);
    const all = Buffer.concat([head, chunk]);
    const end = all.indexOf(10);
    if (end < 0 && all.length < MARKER_LINE_BYTES) {
      head = all;
      return;
    }
    head = undefined;
    const line = all.subarray(0, end < 0 ? all.length : end).toString("utf8");
    if (end >= 0 && marker!.test(line)) {
      marked = line;
      onMarked?.(line);
      keep(all.subarray(end + 1));
    } else keep(all);
  };
  const tail = () => output.subarray(-OUTPUT_TAIL_BYTES).toString("utf8").trim();
  /** A first line still being held is output too, once the command has ended or is given up on. */
  const release = () => {
    if (head) keep(head);
    head = undefined;
  };
  return step<CommandRun>(
    signal,
    limit,
    () => {
      release();
      return state.fail(
        "command-timeout",
        `the command was still running after ${formatDuration(limit.ms)}${tail() ? `; last output: ${lastLine(tail())}` : ""}`,
      );
    },
    (resolve, reject, settled) => {
      client.on("close", () => reject(state.closed()));
      // exec() writes the session request at once and data arrives later, so the server takes the session
      // request before any message that forbids more sessions.
      const opened = acknowledgeWhileOpening(client, stream, state.banner ?? "");
      resources.add(opened);
      client.exec(command, (err: Error | undefined, channel: ClientChannel) => {
        opened();
        if (err)
          return reject(state.fail("command-failed", `could not start a session: ${err.message}`));
        let exitCode: number | null = null;
        // A command still running when the wait stops with it (time limit, Ctrl-C) ends when its input does
        // (see boundToSession): end of input, then the channel closes. A signal on the channel (RFC 4254 §6.9)
        // would not do: OpenSSH refuses to deliver one to a root session.
        const stop = () => {
          channel.end();
          channel.close();
        };
        if (settled()) return stop();
        resources.add(stop);
        channel.on("data", firstLine);
        channel.stderr.on("data", keep);
        channel.on("exit", (code: number | null) => {
          exitCode = typeof code === "number" ? code : null;
        });
        channel.on("close", () => {
          release();
          resolve({ exitCode, output: tail(), marked });
        });
      });
    },
  );
}

/** The last non-blank line of a command's output, escaped as one line (it is the server's text), at most 200 characters. */
export function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  const line = printable(lines.at(-1) ?? "");
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
