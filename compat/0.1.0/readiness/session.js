"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.ConnectionState = void 0;
exports.readBanner = readBanner;
exports.login = login;
exports.runCommand = runCommand;
exports.lastLine = lastLine;
const ssh2_1 = require("ssh2");
const classify_1 = require("./classify");
const duration_1 = require("./duration");
const host_key_1 = require("./host-key");
const printable_1 = require("./printable");
const step_1 = require("./step");
/** What one connection has shown so far; failures are classified from it. */
class ConnectionState {
    constructor(hop) {
        this.hop = hop;
        this.reached = "banner";
        /** The server sent bytes that are not an SSH identification line. */
        this.sawOther = false;
        this.hostKeyRejected = false;
    }
    fail(failure, detail, fatal = false) {
        return new step_1.AttemptFailure(failure, this.reached, detail, this.hop, fatal);
    }
    /** The failure when the server closes the connection now. */
    closed() {
        if (this.reached === "banner") {
            return this.sawOther
                ? this.fail("not-ssh", "the server sent something that is not an SSH banner, then closed")
                : this.fail("reset", "connection closed before the SSH banner");
        }
        return this.fail("reset", `connection closed during ${this.reached}`);
    }
}
exports.ConnectionState = ConnectionState;
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
function tapIdent(stream, state, onIdent, onBad) {
    let pending = "";
    let lines = 0;
    const stop = (detail) => {
        stream.removeListener("data", onData);
        pending = "";
        state.sawOther = true;
        onBad(state.fail("not-ssh", detail));
    };
    function onData(chunk) {
        pending += chunk.toString("latin1");
        let end;
        while ((end = pending.indexOf("\n")) >= 0) {
            const line = pending.slice(0, end).replace(/\r$/, "");
            pending = pending.slice(end + 1);
            if (line.startsWith("SSH-")) {
                stream.removeListener("data", onData);
                if (end + 1 > MAX_IDENT_BYTES)
                    return stop(`the server's identification line is over ${MAX_IDENT_BYTES} bytes`);
                state.banner = line;
                if (state.reached === "banner")
                    state.reached = "handshake";
                onIdent();
                return;
            }
            state.sawOther = true;
            if (++lines > MAX_LINES_BEFORE_IDENT)
                return stop(`the server sent over ${MAX_LINES_BEFORE_IDENT} lines and no SSH banner`);
        }
        // Anything that cannot become an identification line is another protocol.
        if (pending.length >= 4 && !pending.startsWith("SSH-"))
            state.sawOther = true;
        if (pending.startsWith("SSH-") && pending.length > MAX_IDENT_BYTES)
            return stop(`the server's identification line is over ${MAX_IDENT_BYTES} bytes`);
        if (pending.length > MAX_LINE_BYTES)
            return stop(`the server sent a line over ${MAX_LINE_BYTES} bytes and no SSH banner`);
    }
    stream.on("data", onData);
}
function bannerTimeout(state, ms) {
    return () => state.sawOther
        ? state.fail("not-ssh", "the server answered with something that is not an SSH banner")
        : state.fail("no-banner", `connected, but no SSH banner within ${(0, duration_1.formatDuration)(ms)}`);
}
/** Level `banner`: sends our identification (so protocols that wait for the client speak) and reads the server's. */
function readBanner(stream, state, timeoutMs, signal) {
    return (0, step_1.step)(signal, timeoutMs, bannerTimeout(state, timeoutMs), (resolve, reject) => {
        tapIdent(stream, state, () => {
            const banner = state.banner ?? "";
            if (SSH2_IDENT.test(banner))
                return resolve(banner);
            state.sawOther = true;
            reject(state.fail("not-ssh", /^SSH-1\.\d+-/.test(banner)
                ? `the server speaks SSH 1 ("${(0, printable_1.shown)(banner)}"), not SSH 2`
                : `the server's identification "${(0, printable_1.shown)(banner)}" is not SSH 2's "SSH-2.0-software"`));
        }, reject);
        stream.once("close", () => reject(state.closed()));
        stream.on("error", (err) => reject(state.fail((0, classify_1.classifySocketError)(err) ?? "reset", err.message)));
        stream.write("SSH-2.0-ssh_ready\r\n");
    });
}
/**
 * Logs in over `stream`. The banner wait and the key exchange + authentication each get `timeoutMs`.
 * Resolves with the logged-in client; everything opened is registered in `resources`.
 */
async function login(stream, credentials, state, timeoutMs, signal, resources) {
    const client = new ssh2_1.Client();
    resources.add(() => client.end());
    // Failures arrive as events at any time; the step in progress takes them, or the next one does.
    let failStep;
    let pendingFailure;
    // Kept even when a step takes it: an error can arrive with the banner, just as the banner step resolves,
    // and the next step must see it instead of waiting out its time limit.
    const fail = (failure) => {
        pendingFailure ??= failure;
        failStep?.(failure);
    };
    client.on("error", (err) => fail(classifyClientError(err, state)));
    client.on("close", () => fail(state.closed()));
    client.on("handshake", () => {
        state.reached = "auth";
    });
    const publicKeyAuth = {
        type: "publickey",
        username: credentials.username,
        key: credentials.key,
    };
    let identSeen = () => undefined;
    tapIdent(stream, state, () => identSeen(), fail);
    client.connect({
        sock: stream,
        username: credentials.username,
        // One publickey try with the key parsed up front: the key text is never handed around again.
        authHandler: [publicKeyAuth],
        readyTimeout: 0,
        keepaliveInterval: 0,
        algorithms: credentials.hostKeyAlgorithms
            ? { serverHostKey: credentials.hostKeyAlgorithms }
            : undefined,
        hostVerifier: (blob) => {
            state.hostKey = (0, host_key_1.describeHostKey)(blob);
            if (credentials.pin && !credentials.pin.matches(state.hostKey)) {
                state.hostKeyRejected = true;
                return false;
            }
            return true;
        },
    });
    const bannerMs = timeoutMs();
    await (0, step_1.step)(signal, bannerMs, bannerTimeout(state, bannerMs), (resolve, reject) => {
        failStep = reject;
        if (pendingFailure)
            return reject(pendingFailure);
        if (state.banner)
            return resolve();
        identSeen = resolve;
    });
    const loginMs = timeoutMs();
    await (0, step_1.step)(signal, loginMs, () => state.fail("handshake", state.reached === "auth"
        ? `no answer to authentication within ${(0, duration_1.formatDuration)(loginMs)}`
        : `key exchange did not finish within ${(0, duration_1.formatDuration)(loginMs)}`), (resolve, reject) => {
        failStep = reject;
        if (pendingFailure)
            return reject(pendingFailure);
        client.once("ready", () => resolve());
    });
    // Later failures (the connection closing while a command runs) belong to whoever runs the command.
    failStep = () => undefined;
    state.reached = "command";
    return client;
}
/** Classifies an ssh2 client error by its `level`, its numeric DISCONNECT reason, and the state. */
function classifyClientError(err, state) {
    if (state.hostKeyRejected) {
        return state.fail("host-key-mismatch", "the server's host key is not pinned", true);
    }
    switch (err.level) {
        case "client-authentication":
            return state.fail("auth-rejected", "the server rejected the key");
        case "client-socket": {
            const failure = (0, classify_1.classifySocketError)(err) ?? "reset";
            return failure === "reset" ? state.closed() : state.fail(failure, err.message);
        }
        case "protocol":
            if (!state.banner)
                return state.sawOther ? state.fail("not-ssh", err.message) : state.closed();
            return state.fail("handshake", err.message);
        case "handshake":
            return state.fail("handshake", err.message);
    }
    if (typeof err.code === "number") {
        // The server sent DISCONNECT.
        return state.reached === "auth"
            ? state.fail("auth-rejected", `the server disconnected during authentication: ${err.message}`)
            : state.fail("handshake", `the server disconnected: ${err.message}`);
    }
    return state.fail("handshake", err.message);
}
const OUTPUT_TAIL_BYTES = 2048;
/** Runs `command` in a session on `client`; resolves when the session closes. */
function runCommand(client, command, state, timeoutMs, signal, resources) {
    let output = Buffer.alloc(0);
    const keep = (chunk) => {
        output = Buffer.concat([output, chunk]);
        if (output.length > OUTPUT_TAIL_BYTES * 2)
            output = output.subarray(-OUTPUT_TAIL_BYTES);
    };
    const tail = () => output.subarray(-OUTPUT_TAIL_BYTES).toString("utf8").trim();
    return (0, step_1.step)(signal, timeoutMs, () => state.fail("command-timeout", `the command was still running after ${(0, duration_1.formatDuration)(timeoutMs)}${tail() ? `; last output: ${lastLine(tail())}` : ""}`), (resolve, reject, settled) => {
        client.on("close", () => reject(state.closed()));
        client.exec(command, (err, channel) => {
            if (err)
                return reject(state.fail("command-failed", `could not start a session: ${err.message}`));
            let exitCode = null;
            let exited = false;
            // A command still running when the wait stops with it (time limit, Ctrl-C) is asked to end: SIGTERM
            // on the channel (RFC 4254 §6.9; OpenSSH delivers it to the command's process), then the channel closes.
            const stop = () => {
                if (!exited)
                    channel.signal("TERM");
                channel.close();
            };
            if (settled())
                return stop();
            resources.add(stop);
            channel.on("data", keep);
            channel.stderr.on("data", keep);
            channel.on("exit", (code) => {
                exited = true;
                exitCode = typeof code === "number" ? code : null;
            });
            channel.on("close", () => resolve({ exitCode, output: tail() }));
        });
    });
}
function lastLine(text) {
    const lines = text.split("\n").filter((line) => line.trim() !== "");
    const line = lines.at(-1) ?? "";
    return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
