"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.Resources = exports.AttemptFailure = void 0;
exports.step = step;
/** Why one attempt ended without success. `detail` is one line and never contains secrets. */
class AttemptFailure extends Error {
    constructor(failure, reached, detail, hop = "target", 
    /** True when waiting longer cannot help (the wait ends at once). */
    fatal = false) {
        super(detail);
        this.failure = failure;
        this.reached = reached;
        this.hop = hop;
        this.fatal = fatal;
        /** Set when a time limit ended the step, rather than an answer from the server. */
        this.timedOut = false;
        // Set again: in the serialized Pulumi provider, `super` becomes `Error.call(this, …)`, which sets nothing.
        this.message = detail;
        this.name = "AttemptFailure";
    }
}
exports.AttemptFailure = AttemptFailure;
/** Things to close when an attempt (or a wait) ends, closed last-opened first; close errors are ignored. */
class Resources {
    constructor() {
        this.closers = [];
    }
    add(close) {
        this.closers.push(close);
    }
    closeAll() {
        for (const close of this.closers.splice(0).reverse()) {
            try {
                close();
            }
            catch {
                // Already closed.
            }
        }
    }
}
exports.Resources = Resources;
/**
 * Runs `start` and settles with the first of: its `resolve`/`reject`, `onTimeout()` after `timeoutMs`, or the
 * signal's reason on abort. `settled()` tells late callbacks that nobody listens any more.
 */
function step(signal, timeoutMs, onTimeout, start) {
    return new Promise((resolve, reject) => {
        // Declared before the closures that use it: Pulumi's closure serializer rejects a use before the declaration.
        let timer = undefined;
        let onAbort = () => undefined;
        let done = false;
        const finish = () => {
            done = true;
            clearTimeout(timer);
            signal?.removeEventListener("abort", onAbort);
        };
        onAbort = () => {
            if (done)
                return;
            finish();
            reject(signal?.reason);
        };
        timer = setTimeout(() => {
            if (done)
                return;
            finish();
            const error = onTimeout();
            if (error instanceof AttemptFailure)
                error.timedOut = true;
            reject(error);
        }, timeoutMs);
        if (signal?.aborted)
            return onAbort();
        signal?.addEventListener("abort", onAbort, { once: true });
        try {
            start((value) => {
                if (done)
                    return;
                finish();
                resolve(value);
            }, (error) => {
                if (done)
                    return;
                finish();
                reject(error);
            }, () => done);
        }
        catch (error) {
            finish();
            reject(error);
        }
    });
}
