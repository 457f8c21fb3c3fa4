"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.HostKeyMismatchError = exports.SshNotReadyError = void 0;
class SshNotReadyError extends Error {
    constructor(message, details) {
        super(message);
        // Set again: in the serialized Pulumi provider, `super` becomes `Error.call(this, …)`, which sets nothing.
        this.message = message;
        this.name = "SshNotReadyError";
        this.code = details.code;
        this.host = details.host;
        this.port = details.port;
        this.reached = details.reached;
        this.attempts = details.attempts;
        this.counts = details.counts;
        this.last = details.last;
        this.elapsedMs = details.elapsedMs;
        this.commandOutput = details.commandOutput;
    }
    /** A plain object for JSON output. */
    toJSON() {
        return {
            name: this.name,
            code: this.code,
            message: this.message,
            host: this.host,
            port: this.port,
            reached: this.reached,
            attempts: this.attempts,
            counts: this.counts,
            last: this.last,
            elapsedMs: Math.round(this.elapsedMs),
            commandOutput: this.commandOutput,
        };
    }
}
exports.SshNotReadyError = SshNotReadyError;
class HostKeyMismatchError extends SshNotReadyError {
    constructor(message, details, presented, expected) {
        super(message, details);
        this.name = "HostKeyMismatchError";
        this.presented = presented;
        this.expected = expected;
    }
    toJSON() {
        return { ...super.toJSON(), presented: this.presented, expected: this.expected };
    }
}
exports.HostKeyMismatchError = HostKeyMismatchError;
