"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.sameValue = sameValue;
exports.diffReadiness = diffReadiness;
// When a wait must be redone (replace) and when new inputs only change how the next wait would run (update).
// Pulumi's replaceOnChanges has no effect on a dynamic resource with its own diff, so this computes `replaces`.
const inputs_1 = require("./inputs");
/** Recorded field → the input property a person sees in `pulumi preview`. */
const REPLACING = [
    ["host", "host"],
    ["port", "port"],
    ["username", "username"],
    ["level", "level"],
    ["command", "command"],
    ["hostKeyPin", "hostKey"],
    ["keyFingerprint", "privateKey"],
    ["jumpHost", "jumpHost"],
    ["triggers", "triggers"],
];
const UPDATING = [
    "label",
    "timeout",
    "attemptTimeout",
    "commandTimeout",
];
/** Structural equality of JSON-like values (object key order ignored). */
function sameValue(a, b) {
    if (a === b)
        return true;
    if (Array.isArray(a) || Array.isArray(b)) {
        return (Array.isArray(a) &&
            Array.isArray(b) &&
            a.length === b.length &&
            a.every((v, i) => sameValue(v, b[i])));
    }
    if (typeof a === "object" && typeof b === "object" && a !== null && b !== null) {
        const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
        return [...keys].every((k) => sameValue(a[k], b[k]));
    }
    return false;
}
/** Compares the recorded inputs (`olds` are the old outputs) with new inputs, which may hold unknowns. */
function diffReadiness(olds, news) {
    const replaces = [];
    const updates = [];
    let recorded;
    if (!(0, inputs_1.containsUnknown)(news)) {
        try {
            recorded = (0, inputs_1.recordInputs)(news);
        }
        catch {
            // Invalid inputs fail in check; here they can only mean "different".
        }
    }
    for (const [field, input] of REPLACING) {
        const changed = recorded
            ? !sameValue(olds[field], recorded[field])
            : mayDiffer(olds, news, field, input);
        if (changed)
            replaces.push(input);
    }
    for (const name of UPDATING) {
        if (!sameValue(olds[name], news[name]))
            updates.push(name);
    }
    return { changes: replaces.length > 0 || updates.length > 0, replaces };
}
/**
 * With unknown inputs (preview): a property counts as changed when its new value, or a value it derives from,
 * is unknown; otherwise it is compared in the form recorded.
 */
function mayDiffer(olds, news, field, input) {
    const value = news[input];
    if ((0, inputs_1.containsUnknown)(value))
        return true;
    try {
        switch (field) {
            case "port":
                return !sameValue(olds.port, value ?? 22);
            case "hostKeyPin":
                return !sameValue(olds.hostKeyPin, (0, inputs_1.pinList)(news.hostKey));
            case "level":
                return !sameValue(olds.level, news.level ?? (news.privateKey !== undefined ? "auth" : "banner"));
            case "keyFingerprint":
                if (news.privateKey === undefined)
                    return olds.keyFingerprint !== undefined;
                if ((0, inputs_1.containsUnknown)(news.passphrase))
                    return true;
                return olds.keyFingerprint !== (0, inputs_1.keyFingerprint)(news.privateKey, news.passphrase);
            case "jumpHost":
                if (news.jumpHost === undefined)
                    return olds.jumpHost !== undefined;
                if (news.jumpHost.privateKey === undefined &&
                    (0, inputs_1.containsUnknown)([news.privateKey, news.passphrase]))
                    return true;
                return !sameValue(olds.jumpHost, (0, inputs_1.recordJumpHost)(news.jumpHost, news.privateKey, news.passphrase));
            default:
                return !sameValue(olds[field], value);
        }
    }
    catch {
        return true;
    }
}
