"use strict";
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.JumpSession = void 0;
exports.connectDirect = connectDirect;
// The TCP part of an attempt: a direct connection, or a channel forwarded by a jump host whose SSH
// connection is opened once and reused, so fast polling of the target never hammers the jump host.
const node_net_1 = __importDefault(require("node:net"));
const classify_1 = require("./classify");
const duration_1 = require("./duration");
const host_key_1 = require("./host-key");
const session_1 = require("./session");
const step_1 = require("./step");
/** Opens a TCP connection; failures are classified by the socket error code. */
async function connectDirect(host, port, lookup, timeoutMs, signal, resources, hop = "target") {
    const socket = node_net_1.default.connect({ host, port, lookup, noDelay: true });
    resources.add(() => socket.destroy());
    // Errors are taken by the step in progress; this keeps a late one from being unhandled.
    socket.on("error", () => undefined);
    await (0, step_1.step)(signal, timeoutMs, () => new step_1.AttemptFailure("timeout", "connect", `no answer from ${host}:${port} within ${(0, duration_1.formatDuration)(timeoutMs)}`, hop), (resolve, reject) => {
        socket.once("connect", () => resolve());
        socket.once("error", (err) => reject(new step_1.AttemptFailure((0, classify_1.classifySocketError)(err) ?? "unreachable", "connect", err.message, hop)));
    });
    return socket;
}
/** One SSH connection to the jump host, shared by the attempts of a wait. */
class JumpSession {
    constructor(jump, lookup) {
        this.jump = jump;
        this.lookup = lookup;
        this.resources = new step_1.Resources();
        /** Key types the jump host's fingerprint pin has ruled out, and the keys it refused. */
        this.excludedKeyTypes = [];
        this.mismatched = [];
    }
    get label() {
        return `${this.jump.username}@${this.jump.host}:${this.jump.port}`;
    }
    /** Opens a TCP channel to host:port through the jump host. Jump host failures have hop "jump". */
    async forward(host, port, timeoutMs, signal) {
        const client = await this.connect(timeoutMs, signal);
        const ms = timeoutMs();
        return (0, step_1.step)(signal, ms, () => new step_1.AttemptFailure("timeout", "connect", `the jump host did not connect to ${host}:${port} within ${(0, duration_1.formatDuration)(ms)}`), (resolve, reject, settled) => {
            client.forwardOut("127.0.0.1", 0, host, port, (err, channel) => {
                if (err) {
                    const reason = err.reason;
                    const failure = (0, classify_1.classifyForwardFailure)(reason, err.message);
                    const fatal = failure === "forwarding-refused";
                    return reject(new step_1.AttemptFailure(failure, "connect", `jump host ${this.label}: ${err.message}`, fatal ? "jump" : "target", fatal));
                }
                if (settled())
                    channel.close();
                else
                    resolve(channel);
            });
        });
    }
    /**
     * Logs in to the jump host, once per wait while the connection lasts. A pin works as the target's does: a
     * full-key pin offers only its types; a fingerprint pin, which does not say its type, makes a mismatch on one
     * type try the others before the mismatch is final.
     */
    async connect(timeoutMs, signal) {
        if (this.client)
            return this.client;
        for (;;) {
            const state = new session_1.ConnectionState("jump");
            try {
                const socket = await connectDirect(this.jump.host, this.jump.port, this.lookup, timeoutMs(), signal, this.resources, "jump");
                const credentials = {
                    ...this.jump,
                    hostKeyAlgorithms: (0, host_key_1.hostKeyAlgorithmsFor)(this.jump.pin, this.excludedKeyTypes),
                };
                const client = await (0, session_1.login)(socket, credentials, state, timeoutMs, signal, this.resources);
                client.on("close", () => {
                    if (this.client === client)
                        this.client = undefined;
                });
                this.client = client;
                return client;
            }
            catch (error) {
                this.resources.closeAll();
                const rejected = error instanceof step_1.AttemptFailure && error.failure === "host-key-mismatch";
                // A handshake failure after a mismatch: the jump host has none of the key types left to try.
                const exhausted = error instanceof step_1.AttemptFailure &&
                    error.failure === "handshake" &&
                    this.mismatched.length > 0;
                if (!rejected && !exhausted)
                    throw error;
                if (rejected && state.hostKey) {
                    this.mismatched.push(state.hostKey);
                    if (this.jump.pin && !this.jump.pin.onlyFullKeys) {
                        this.excludedKeyTypes.push(state.hostKey.type);
                        if (host_key_1.HOST_KEY_TYPES.some((type) => !this.excludedKeyTypes.includes(type)))
                            continue;
                    }
                }
                const failure = new step_1.AttemptFailure("host-key-mismatch", "connect", `jump host ${this.label}: its host key is not pinned`, "jump", true);
                failure.mismatch = {
                    presented: [...this.mismatched],
                    expected: this.jump.pin?.describe() ?? "",
                };
                throw failure;
            }
        }
    }
    close() {
        this.client = undefined;
        this.resources.closeAll();
    }
}
exports.JumpSession = JumpSession;
