"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.MIN_ATTEMPT_MS = void 0;
exports.waitForSsh = waitForSsh;
exports.runWait = runWait;
const classify_1 = require("./classify");
const clock_1 = require("./clock");
const connect_1 = require("./connect");
const errors_1 = require("./errors");
const host_key_1 = require("./host-key");
const options_1 = require("./options");
const schedule_1 = require("./schedule");
const attempt_1 = require("./attempt");
const summary_1 = require("./summary");
/**
 * Waits until the SSH server at `options.host` is ready at `options.level`. Resolves with the server's banner,
 * verified host key and timing; rejects with an `SshNotReadyError` (or `HostKeyMismatchError`) when it is not
 * ready in time or cannot become ready, with a TypeError/RangeError naming the option for bad input (before any
 * network traffic), or with the signal's reason when aborted.
 */
async function waitForSsh(options) {
    const opts = (0, options_1.resolveOptions)(options);
    checkHooks(options);
    return runWait(opts, {
        clock: options.clock ?? clock_1.systemClock,
        signal: options.signal,
        onAttempt: options.onAttempt,
        onCommandStart: options.onCommandStart,
        attempt: attempt_1.runAttempt,
    });
}
/** Less time than this left before the deadline is not worth an attempt: it could only be cut short. */
exports.MIN_ATTEMPT_MS = 50;
/** The options that are code, checked like the others: a TypeError naming the option, before any traffic. */
function checkHooks(options) {
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
        throw new TypeError("[signal] must be an AbortSignal (an AbortController's signal)");
    }
    for (const name of ["onAttempt", "onCommandStart"]) {
        if (options[name] !== undefined && typeof options[name] !== "function") {
            throw new TypeError(`[${name}] must be a function`);
        }
    }
    const clock = options.clock;
    if (clock !== undefined &&
        (typeof clock !== "object" ||
            clock === null ||
            !["now", "date", "sleep", "random"].every((f) => typeof clock[f] === "function"))) {
        throw new TypeError("[clock] must be an object with now(), date(), sleep() and random()");
    }
}
async function runWait(opts, deps) {
    const { clock, signal } = deps;
    signal?.throwIfAborted();
    const start = clock.now();
    const deadline = start + opts.timeoutMs;
    const schedule = new schedule_1.RetrySchedule(opts.schedule, () => clock.random());
    const counts = {};
    const seenKeys = [];
    const mismatched = [];
    const excludedKeyTypes = [];
    const jump = opts.jumpHost ? new connect_1.JumpSession(opts.jumpHost, opts.lookup) : undefined;
    let furthest = "connect";
    let attempts = 0;
    let lastOutput;
    let lastCounted;
    const fail = (code, outcome) => {
        const last = {
            class: outcome.failure ?? "timeout",
            phase: outcome.reached,
            hop: outcome.hop,
            detail: outcome.detail,
        };
        const details = {
            code,
            host: opts.host,
            port: opts.port,
            reached: furthest,
            attempts,
            counts: { ...counts },
            last,
            elapsedMs: clock.now() - start,
            commandOutput: lastOutput,
        };
        if (code === "HOST_KEY_MISMATCH") {
            // The jump host's mismatch comes whole from its session; the target's is collected here.
            const jumpMismatch = outcome.hop === "jump" ? outcome.mismatch : undefined;
            const presented = jumpMismatch?.presented ?? mismatched;
            const expected = jumpMismatch?.expected ?? opts.pin?.describe() ?? "";
            const where = jumpMismatch ? `jump host ${jump?.label}` : `${opts.host}:${opts.port}`;
            return new errors_1.HostKeyMismatchError((0, summary_1.summarizeMismatch)(where, presented, expected), details, presented, expected);
        }
        const input = {
            ...details,
            username: opts.username,
            level: opts.level,
            jump: jump?.label,
            furthest,
        };
        return new errors_1.SshNotReadyError(code === "SSH_NOT_READY" ? (0, summary_1.summarizeTimeout)(input) : (0, summary_1.summarizeFatal)(input), details);
    };
    try {
        for (;;) {
            attempts += 1;
            const startedMs = clock.now() - start;
            const outcome = await deps.attempt(opts, {
                signal,
                now: () => clock.now(),
                remainingMs: deadline - clock.now(),
                jump,
                hostKeyAlgorithms: (0, host_key_1.hostKeyAlgorithmsFor)(opts.pin, excludedKeyTypes),
                onCommandStart: () => deps.onCommandStart?.({
                    attempt: attempts,
                    elapsedMs: clock.now() - start,
                    command: opts.command,
                }),
            });
            if (outcome.hop === "target" && (0, classify_1.phaseRank)(outcome.reached) > (0, classify_1.phaseRank)(furthest))
                furthest = outcome.reached;
            for (const key of outcome.hostKeysSeen) {
                if (seenKeys.at(-1)?.fingerprint !== key.fingerprint)
                    seenKeys.push(key);
            }
            if (outcome.output !== undefined)
                lastOutput = outcome.output;
            const event = {
                attempt: attempts,
                hop: outcome.hop,
                outcome: outcome.ok ? "ready" : (outcome.failure ?? "timeout"),
                reached: outcome.reached,
                startedMs,
                elapsedMs: clock.now() - start,
                timestamp: clock.now(),
                detail: outcome.detail,
                serverBanner: outcome.banner,
                hostKeyFingerprint: outcome.hostKey?.fingerprint,
                exitCode: outcome.exitCode,
                cutByDeadline: outcome.cutByDeadline,
            };
            if (outcome.ok) {
                deps.onAttempt?.(event);
                return result(opts, outcome, seenKeys, attempts, clock.now() - start, clock.date());
            }
            const failure = outcome.failure ?? "timeout";
            if (outcome.cutByDeadline && lastCounted) {
                deps.onAttempt?.(event);
                throw fail("SSH_NOT_READY", lastCounted);
            }
            counts[failure] = (counts[failure] ?? 0) + 1;
            lastCounted = outcome;
            // A fingerprint pin does not say which key type it is for: a mismatch on one type means "not this
            // type", so the other types are tried before the mismatch is final. Full-key pins are final at once.
            let keyTypesLeft = false;
            if (failure === "host-key-mismatch" && outcome.hop === "jump") {
                // The jump session has tried the jump host's other key types already.
                deps.onAttempt?.(event);
                throw fail("HOST_KEY_MISMATCH", outcome);
            }
            if (failure === "host-key-mismatch" && outcome.hostKey) {
                mismatched.push(outcome.hostKey);
                if (opts.pin && !opts.pin.onlyFullKeys) {
                    excludedKeyTypes.push(outcome.hostKey.type);
                    keyTypesLeft = host_key_1.HOST_KEY_TYPES.some((type) => !excludedKeyTypes.includes(type));
                }
            }
            const mismatchFinal = (failure === "host-key-mismatch" && !keyTypesLeft) ||
                (failure === "handshake" && mismatched.length > 0 && outcome.hop === "target");
            if (mismatchFinal) {
                deps.onAttempt?.(event);
                throw fail("HOST_KEY_MISMATCH", outcome);
            }
            if (outcome.fatal && failure !== "host-key-mismatch") {
                deps.onAttempt?.(event);
                throw fail(failure === "forwarding-refused" ? "FORWARDING_REFUSED" : "COMMAND_FAILED", outcome);
            }
            const delay = schedule.next(failure, outcome.reached);
            const remaining = deadline - clock.now();
            if (remaining >= exports.MIN_ATTEMPT_MS)
                event.nextDelayMs = Math.min(delay, remaining);
            deps.onAttempt?.(event);
            if (remaining >= exports.MIN_ATTEMPT_MS)
                await clock.sleep(Math.min(delay, remaining), signal);
            // No attempt starts with too little time to mean anything; the wait gives up at the deadline, not
            // before it (so the message never says less than the timeout the user set).
            if (deadline - clock.now() < exports.MIN_ATTEMPT_MS) {
                for (let left = deadline - clock.now(); left > 0; left = deadline - clock.now())
                    await clock.sleep(left, signal);
                throw fail("SSH_NOT_READY", outcome);
            }
        }
    }
    finally {
        jump?.close();
    }
}
function result(opts, outcome, seenKeys, attempts, waitedMs, now) {
    const key = outcome.hostKey;
    const warnings = [...outcome.warnings];
    if (!opts.pin && new Set(seenKeys.map((k) => k.fingerprint)).size > 1) {
        warnings.push(`the host key changed during the wait: ${seenKeys.map((k) => `${k.type} ${k.fingerprint}`).join(" → ")}; ` +
            "the last one is reported (expected when first boot regenerates keys; pin hostKey to rule out an impostor)");
    }
    return {
        host: opts.host,
        port: opts.port,
        username: opts.level === "auth" || opts.level === "command" ? opts.username : undefined,
        level: opts.level,
        serverBanner: outcome.banner,
        hostKey: key?.line,
        hostKeyFingerprint: key?.fingerprint,
        knownHostsLine: key ? (0, host_key_1.knownHostsLine)(opts.host, opts.port, key) : undefined,
        readyAt: now.toISOString(),
        waitedMs: Math.round(waitedMs),
        attempts,
        warnings,
        command: opts.level === "command" && outcome.exitCode !== undefined && outcome.exitCode !== null
            ? { exitCode: outcome.exitCode, output: outcome.output ?? "" }
            : undefined,
    };
}
