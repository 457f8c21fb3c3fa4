"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.runAttempt = void 0;
const connect_1 = require("./connect");
const options_1 = require("./options");
const session_1 = require("./session");
const printable_1 = require("./printable");
const step_1 = require("./step");
/** A time limit that ends this close to the overall deadline was set by the deadline, not by attemptTimeout. */
const DEADLINE_SLACK_MS = 10;
/** Runs one attempt. Resolves with its outcome; rejects only with the signal's reason when aborted. */
const runAttempt = async (opts, ctx) => {
    const resources = new step_1.Resources();
    const state = new session_1.ConnectionState("target");
    const until = ctx.now() + ctx.remainingMs;
    const phaseMs = () => Math.max(1, Math.min(opts.attemptTimeoutMs, until - ctx.now()));
    try {
        const stream = ctx.jump
            ? await forwardThroughJump(ctx.jump, opts, phaseMs, ctx.signal)
            : await (0, connect_1.connectDirect)(opts.host, opts.port, opts.lookup, phaseMs(), ctx.signal, resources);
        resources.add(() => stream.destroy());
        if (opts.level === "tcp")
            return success("connect", "the port accepts connections", state);
        if (opts.level === "banner") {
            await (0, session_1.readBanner)(stream, state, phaseMs(), ctx.signal);
            return success("banner", "sshd sent its banner", state);
        }
        const client = await (0, session_1.login)(stream, 
        // Both are required at these levels; resolveOptions checked it.
        {
            username: opts.username,
            key: opts.key,
            pin: opts.pin,
            hostKeyAlgorithms: ctx.hostKeyAlgorithms,
        }, state, phaseMs, ctx.signal, resources);
        const command = opts.level === "auth" ? "true" : opts.command;
        const commandMs = opts.level === "auth"
            ? phaseMs()
            : Math.max(1, Math.min(opts.commandTimeoutMs, until - ctx.now()));
        if (opts.level === "command")
            ctx.onCommandStart?.();
        const run = await (0, session_1.runCommand)(client, command, state, commandMs, ctx.signal, resources);
        const outcome = judgeCommand(opts, state, run.exitCode, run.output);
        if (!outcome.ok || opts.level !== "command")
            return outcome;
        // The command may have run for minutes on a connection opened before sshd was restarted (a restart keeps
        // running sessions), so a fresh login confirms sshd still answers, and tells the host key it presents now.
        resources.closeAll();
        const confirm = await (0, exports.runAttempt)({ ...opts, level: "auth" }, { ...ctx, remainingMs: until - ctx.now(), onCommandStart: undefined });
        const hostKeysSeen = [...outcome.hostKeysSeen, ...confirm.hostKeysSeen];
        if (!confirm.ok)
            return {
                ...confirm,
                hostKeysSeen,
                detail: `confirming login after the command: ${confirm.detail}`,
            };
        return { ...outcome, hostKey: confirm.hostKey, hostKeysSeen };
    }
    catch (caught) {
        if (ctx.signal?.aborted && caught === ctx.signal.reason)
            throw caught;
        // Anything else that ends an attempt is a failed attempt, never the end of the wait: ssh2 throws
        // "Not connected" at once when the server has just closed the connection.
        const error = caught instanceof step_1.AttemptFailure ? caught : unexpected(caught, state);
        return {
            ok: false,
            hop: error.hop,
            reached: error.hop === "jump" ? "connect" : error.reached,
            failure: error.failure,
            detail: error.message,
            fatal: error.fatal,
            cutByDeadline: error.timedOut && until - ctx.now() < DEADLINE_SLACK_MS,
            mismatch: error.mismatch,
            banner: state.banner,
            hostKey: state.hostKey,
            hostKeysSeen: state.hostKey ? [state.hostKey] : [],
            warnings: [],
        };
    }
    finally {
        resources.closeAll();
    }
};
exports.runAttempt = runAttempt;
/** A channel to the target through the jump host; an unexpected error there is the jump host's. */
async function forwardThroughJump(jump, opts, phaseMs, signal) {
    try {
        return await jump.forward(opts.host, opts.port, phaseMs, signal);
    }
    catch (caught) {
        if ((signal?.aborted && caught === signal.reason) || caught instanceof step_1.AttemptFailure)
            throw caught;
        throw new step_1.AttemptFailure("reset", "connect", `jump host ${jump.label}: the connection ended (${(0, printable_1.printable)(String(caught?.message ?? caught))})`, "jump");
    }
}
/** An error no step classified: the connection ended under us. */
function unexpected(caught, state) {
    const message = (0, printable_1.printable)(String(caught?.message ?? caught));
    return state.fail("reset", `the connection ended during ${state.reached} (${message})`);
}
function success(reached, detail, state, extra = {}) {
    return {
        ok: true,
        hop: "target",
        reached,
        detail,
        fatal: false,
        banner: state.banner,
        hostKey: state.hostKey,
        hostKeysSeen: state.hostKey ? [state.hostKey] : [],
        warnings: [],
        ...extra,
    };
}
/**
 * Decides what the command's exit means. The default cloud-init wait: 0 is ready, 2 is ready with a warning
 * (recoverable errors), 1 is final (cloud-init crashed or failed critically: waiting cannot fix it), anything
 * else (no exit status, 255) is retried. A custom command is ready on 0 and retried otherwise.
 */
function judgeCommand(opts, state, exitCode, output) {
    const base = { exitCode, output };
    const phase = opts.level === "auth" ? "auth" : "command";
    const what = opts.level === "auth"
        ? "`true`"
        : opts.isDefaultCommand
            ? "`cloud-init status --wait`"
            : "the command";
    if (exitCode === 0) {
        const warnings = opts.level === "command" && opts.isDefaultCommand && output.includes(options_1.NO_CLOUD_INIT_MARKER)
            ? ["cloud-init is not installed on the host: ready means a command ran"]
            : [];
        return success(phase, `${what} exited 0`, state, { ...base, warnings });
    }
    if (opts.level === "command" && opts.isDefaultCommand && exitCode === 2) {
        return success("command", "cloud-init finished with recoverable errors (exit 2)", state, {
            ...base,
            warnings: [
                `cloud-init finished with recoverable errors (exit 2): ${(0, session_1.lastLine)(output) || "no output"}`,
            ],
        });
    }
    const fatal = opts.level === "command" && opts.isDefaultCommand && exitCode === 1;
    return {
        ok: false,
        hop: "target",
        reached: phase,
        failure: "command-failed",
        detail: `${what} ${exitCode === null ? "ended without an exit status" : `exited ${exitCode}`}${output ? `: ${(0, session_1.lastLine)(output)}` : ""}`,
        fatal,
        banner: state.banner,
        hostKey: state.hostKey,
        hostKeysSeen: state.hostKey ? [state.hostKey] : [],
        warnings: [],
        ...base,
    };
}
