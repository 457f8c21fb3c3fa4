"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.DEFAULT_COMMAND_TIMEOUT_MS = exports.DEFAULT_ATTEMPT_TIMEOUT_MS = exports.DEFAULT_TIMEOUT_MS = exports.NO_CLOUD_INIT_MARKER = exports.CLOUD_INIT_COMMAND = exports.LEVELS = void 0;
exports.checkHost = checkHost;
exports.checkPort = checkPort;
exports.checkUsername = checkUsername;
exports.positiveDuration = positiveDuration;
exports.resolveOptions = resolveOptions;
exports.resolveJumpHost = resolveJumpHost;
const duration_1 = require("./duration");
const printable_1 = require("./printable");
const host_key_1 = require("./host-key");
const keys_1 = require("./keys");
const schedule_1 = require("./schedule");
exports.LEVELS = ["tcp", "banner", "auth", "command"];
/** The default readiness command: wait for cloud-init; a host without cloud-init counts as ready. */
// `exec`: cloud-init itself is the session's process, so the signal that ends a timed-out wait reaches it.
exports.CLOUD_INIT_COMMAND = 'if command -v cloud-init >/dev/null 2>&1; then exec cloud-init status --wait; else echo "ssh-ready: no cloud-init on this host"; fi';
exports.NO_CLOUD_INIT_MARKER = "ssh-ready: no cloud-init on this host";
exports.DEFAULT_TIMEOUT_MS = 10 * 60_000;
exports.DEFAULT_ATTEMPT_TIMEOUT_MS = 15_000;
exports.DEFAULT_COMMAND_TIMEOUT_MS = 5 * 60_000;
function checkHost(value, name) {
    if (typeof value !== "string" || value.trim() === "") {
        throw new TypeError(`[${name}] must be a host name or IP address`);
    }
    const host = value.trim().replace(/^\[(.*)\]$/, "$1");
    if (!(0, host_key_1.isValidHost)(host))
        throw new TypeError(`[${name}] is not a valid host name or IP address: "${(0, printable_1.shown)(value)}"`);
    return host;
}
function checkPort(value, name) {
    if (value === undefined)
        return 22;
    if (typeof value !== "number" || !Number.isInteger(value)) {
        throw new TypeError(`[${name}] must be an integer from 1 to 65535`);
    }
    if (value < 1 || value > 65535) {
        throw new RangeError(`[${name}] must be from 1 to 65535, got ${value}`);
    }
    return value;
}
function checkUsername(value, name) {
    if (typeof value !== "string" || value === "")
        throw new TypeError(`[${name}] must be a user name`);
    if (/[\s@:]/.test(value))
        throw new TypeError(`[${name}] must not contain spaces, "@" or ":"`);
    return value;
}
function positiveDuration(value, name, fallback) {
    return value === undefined ? fallback : (0, duration_1.parseLimit)(value, name, "ms");
}
/** Validates and completes the options. Throws a TypeError or RangeError naming the option. */
function resolveOptions(options) {
    if (typeof options !== "object" || options === null) {
        throw new TypeError("waitForSsh needs an options object");
    }
    const host = checkHost(options.host, "host");
    const port = checkPort(options.port, "port");
    const key = options.privateKey === undefined
        ? undefined
        : (0, keys_1.parsePrivateKey)(options.privateKey, options.passphrase);
    if (options.privateKey === undefined && options.passphrase !== undefined) {
        throw new TypeError("[passphrase] is given without a [privateKey]");
    }
    const level = options.level ?? (key ? "auth" : "banner");
    if (!exports.LEVELS.includes(level)) {
        throw new TypeError(`[level] must be one of ${exports.LEVELS.join(", ")}, got "${(0, printable_1.shown)(level)}"`);
    }
    const needsLogin = level === "auth" || level === "command";
    if (needsLogin && !key)
        throw new TypeError(`[privateKey] is required for level "${level}"`);
    const username = options.username === undefined && !needsLogin
        ? undefined
        : checkUsername(options.username, "username");
    if (options.command !== undefined) {
        if (typeof options.command !== "string" || options.command.trim() === "") {
            throw new TypeError("[command] must be a non-empty shell command");
        }
        if (level !== "command")
            throw new TypeError(`[command] needs level "command", not "${level}"`);
    }
    const pin = options.hostKey === undefined ? undefined : host_key_1.HostKeyPin.parse(options.hostKey, "hostKey");
    if (pin && !needsLogin) {
        throw new TypeError(`[hostKey] is checked during login: use level "auth" or "command", not "${level}"`);
    }
    const schedule = { ...schedule_1.DEFAULT_SCHEDULE, ...(options.schedule ?? {}) };
    for (const [name, value] of Object.entries(schedule)) {
        if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
            throw new RangeError(`[schedule.${name}] must be a non-negative number`);
        }
    }
    if (schedule.jitter > 1)
        throw new RangeError("[schedule.jitter] must be from 0 to 1");
    if (options.lookup !== undefined && typeof options.lookup !== "function") {
        throw new TypeError("[lookup] must be a function like dns.lookup");
    }
    return {
        host,
        port,
        username,
        key,
        level,
        command: options.command ?? exports.CLOUD_INIT_COMMAND,
        isDefaultCommand: options.command === undefined,
        pin,
        jumpHost: options.jumpHost === undefined
            ? undefined
            : resolveJumpHost(options.jumpHost, options.privateKey, options.passphrase),
        timeoutMs: positiveDuration(options.timeout, "timeout", exports.DEFAULT_TIMEOUT_MS),
        attemptTimeoutMs: positiveDuration(options.attemptTimeout, "attemptTimeout", exports.DEFAULT_ATTEMPT_TIMEOUT_MS),
        commandTimeoutMs: positiveDuration(options.commandTimeout, "commandTimeout", exports.DEFAULT_COMMAND_TIMEOUT_MS),
        schedule,
        lookup: options.lookup,
    };
}
/**
 * Checks a jump host's options. Its key defaults to the target's (`targetKey`, with `targetPassphrase`).
 * Shared with the Pulumi provider's diff, which records jump hosts by key fingerprint.
 */
function resolveJumpHost(jump, targetKey, targetPassphrase) {
    if (typeof jump !== "object" || jump === null)
        throw new TypeError("[jumpHost] must be an object");
    const options = jump;
    const ownKey = options.privateKey !== undefined;
    const keyText = ownKey ? options.privateKey : targetKey;
    if (keyText === undefined) {
        throw new TypeError("[jumpHost.privateKey] is required (or give [privateKey] to use the same key)");
    }
    return {
        host: checkHost(options.host, "jumpHost.host"),
        port: checkPort(options.port, "jumpHost.port"),
        username: checkUsername(options.username, "jumpHost.username"),
        key: ownKey
            ? (0, keys_1.parsePrivateKey)(keyText, options.passphrase, "jumpHost.")
            : (0, keys_1.parsePrivateKey)(keyText, targetPassphrase),
        pin: options.hostKey === undefined
            ? undefined
            : host_key_1.HostKeyPin.parse(options.hostKey, "jumpHost.hostKey"),
    };
}
