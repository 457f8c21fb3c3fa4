"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.UNKNOWN = void 0;
exports.containsUnknown = containsUnknown;
exports.toWaitOptions = toWaitOptions;
exports.pinList = pinList;
exports.keyFingerprint = keyFingerprint;
exports.recordJumpHost = recordJumpHost;
exports.recordInputs = recordInputs;
exports.checkInputs = checkInputs;
// The SshReadiness resource's inputs as the provider receives them (plain values: the engine strips secret
// markers), their validation for `check`, and what is recorded in the outputs so `diff` can compare.
// No Pulumi import: this module is serialized into the provider.
const duration_1 = require("../readiness/duration");
const host_key_1 = require("../readiness/host-key");
const keys_1 = require("../readiness/keys");
const options_1 = require("../readiness/options");
/** What `pulumi preview` sends for values not known yet. */
exports.UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
function containsUnknown(value) {
    if (value === exports.UNKNOWN)
        return true;
    if (Array.isArray(value))
        return value.some(containsUnknown);
    if (typeof value === "object" && value !== null)
        return Object.values(value).some(containsUnknown);
    return false;
}
/** Timeouts of the resource: a number is seconds (the engine's numbers are milliseconds). */
function durationMs(value, name) {
    return value === undefined ? undefined : (0, duration_1.parseDuration)(value, name, "s");
}
/** The engine's options for these inputs. Throws the engine's TypeError/RangeError naming the input. */
function toWaitOptions(inputs) {
    const jump = inputs.jumpHost;
    return {
        host: inputs.host,
        port: inputs.port,
        username: inputs.username,
        privateKey: inputs.privateKey,
        passphrase: inputs.passphrase,
        level: inputs.level,
        command: inputs.command,
        hostKey: inputs.hostKey,
        timeout: durationMs(inputs.timeout, "timeout"),
        attemptTimeout: durationMs(inputs.attemptTimeout, "attemptTimeout"),
        commandTimeout: durationMs(inputs.commandTimeout, "commandTimeout"),
        jumpHost: jump && {
            host: jump.host,
            port: jump.port,
            username: jump.username,
            privateKey: jump.privateKey,
            passphrase: jump.passphrase,
            hostKey: jump.hostKey,
        },
    };
}
function pinList(pin) {
    if (pin === undefined)
        return undefined;
    return (Array.isArray(pin) ? pin : [pin]).map((p) => p.trim());
}
function keyFingerprint(key, passphrase, prefix = "") {
    return (0, host_key_1.fingerprintOf)((0, keys_1.parsePrivateKey)(key, passphrase, prefix).getPublicSSH());
}
/** The jump host as recorded: the engine's checks, the key by fingerprint. */
function recordJumpHost(jump, targetKey, targetPassphrase) {
    return jumpRecord((0, options_1.resolveJumpHost)(jump, targetKey, targetPassphrase), jump.hostKey);
}
function jumpRecord(resolved, pin) {
    return {
        host: resolved.host,
        port: resolved.port,
        username: resolved.username,
        hostKeyPin: pinList(pin),
        keyFingerprint: (0, host_key_1.fingerprintOf)(resolved.key.getPublicSSH()),
    };
}
/** What create records of the inputs. Needs known, valid inputs. */
function recordInputs(inputs) {
    const resolved = (0, options_1.resolveOptions)(toWaitOptions(inputs));
    return {
        label: inputs.label,
        host: resolved.host,
        port: resolved.port,
        username: resolved.username,
        level: resolved.level,
        command: inputs.command,
        hostKeyPin: pinList(inputs.hostKey),
        // Fingerprints from the keys resolveOptions parsed: decrypting a key again costs its KDF rounds again.
        keyFingerprint: resolved.key && (0, host_key_1.fingerprintOf)(resolved.key.getPublicSSH()),
        jumpHost: inputs.jumpHost && recordJumpHost(inputs.jumpHost, inputs.privateKey, inputs.passphrase),
        timeout: inputs.timeout,
        attemptTimeout: inputs.attemptTimeout,
        commandTimeout: inputs.commandTimeout,
        triggers: inputs.triggers,
    };
}
/** Runs `check` and turns the engine's input errors into a failure on the property it names. */
function collect(failures, fallbackProperty, check) {
    try {
        check();
    }
    catch (error) {
        if (!(error instanceof TypeError || error instanceof RangeError))
            throw error;
        const named = /^\[([\w.]+)\]/.exec(error.message)?.[1] ?? fallbackProperty;
        if (!failures.some((f) => f.property === named))
            failures.push({ property: named, reason: error.message });
    }
}
/**
 * Validates the inputs with the engine's rules and messages. Values not known yet (preview) are skipped,
 * and so are the rules that combine them with others; everything known is checked, each failure naming its
 * property.
 */
function checkInputs(inputs) {
    const failures = [];
    const known = (value) => value !== undefined && !containsUnknown(value);
    if (!known(inputs.host)) {
        if (inputs.host === undefined)
            failures.push({ property: "host", reason: "[host] is required" });
    }
    else
        collect(failures, "host", () => (0, options_1.checkHost)(inputs.host, "host"));
    if (known(inputs.port))
        collect(failures, "port", () => (0, options_1.checkPort)(inputs.port, "port"));
    if (known(inputs.username))
        collect(failures, "username", () => (0, options_1.checkUsername)(inputs.username, "username"));
    if (known(inputs.level) && !options_1.LEVELS.includes(inputs.level)) {
        failures.push({
            property: "level",
            reason: `[level] must be one of ${options_1.LEVELS.join(", ")}, got "${String(inputs.level)}"`,
        });
    }
    if (known(inputs.privateKey) && (inputs.passphrase === undefined || known(inputs.passphrase))) {
        collect(failures, "privateKey", () => (0, keys_1.parsePrivateKey)(inputs.privateKey, inputs.passphrase));
    }
    if (known(inputs.hostKey))
        collect(failures, "hostKey", () => host_key_1.HostKeyPin.parse(inputs.hostKey, "hostKey"));
    for (const name of ["timeout", "attemptTimeout", "commandTimeout"]) {
        if (known(inputs[name]))
            collect(failures, name, () => (0, duration_1.parseLimit)(inputs[name], name, "s"));
    }
    if (inputs.triggers !== undefined &&
        !Array.isArray(inputs.triggers) &&
        !containsUnknown(inputs.triggers)) {
        failures.push({ property: "triggers", reason: "[triggers] must be a list of values" });
    }
    // The rules that combine inputs (level auth needs a key, jump host keys, …) need every input known.
    if (failures.length === 0 && !containsUnknown(inputs)) {
        collect(failures, "host", () => recordInputs(inputs));
    }
    return failures;
}
