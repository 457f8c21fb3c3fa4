// diffReadiness: during preview, when some inputs are still unknown, replace exactly when it may be needed;
// after check, compare the record check made.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffReadiness } from "../../components/ssh-readiness/diff";
import {
  checkAndRecord,
  recordInputs,
  recordOf,
  UNKNOWN,
  type ReadinessInputs,
} from "../../components/ssh-readiness/inputs";
import { ed25519 } from "../support/keys";

const key = ed25519();
const inputs: ReadinessInputs = {
  label: "r",
  host: "10.0.0.4",
  username: "azureuser",
  privateKey: key.private,
  triggers: ["vm-1"],
};
const olds = recordInputs(inputs);

describe("diffReadiness with unknown inputs", () => {
  it("replaces when the key is not known yet (a generated key may be new)", () => {
    assert.deepEqual(diffReadiness(olds, { ...inputs, privateKey: UNKNOWN }).replaces, [
      "privateKey",
    ]);
  });

  it("keeps the derived default level when only the key's value is unknown", () => {
    const diff = diffReadiness(olds, { ...inputs, privateKey: UNKNOWN });
    assert.ok(!diff.replaces.includes("level"));
  });

  it("does not replace for an unknown label or timeout", () => {
    assert.deepEqual(diffReadiness(olds, { ...inputs, timeout: UNKNOWN, label: UNKNOWN }), {
      changes: true,
      replaces: [],
    });
  });

  it("compares the known inputs in their recorded form: default port, pin list", () => {
    assert.deepEqual(diffReadiness(olds, { ...inputs, host: UNKNOWN, port: 22 }).replaces, [
      "host",
    ]);
    assert.deepEqual(
      diffReadiness(olds, {
        ...inputs,
        triggers: [UNKNOWN],
        hostKeyPin: "SHA256:" + "a".repeat(43),
      }).replaces,
      ["hostKeyPin", "triggers"],
    );
  });

  it("replaces when a jump host appears, and compares a known one with the target's key", () => {
    const jump = { host: "10.0.0.5", username: "jump" };
    assert.deepEqual(diffReadiness(olds, { ...inputs, host: UNKNOWN, jumpHost: jump }).replaces, [
      "host",
      "jumpHost",
    ]);
    const withJump = recordInputs({ ...inputs, jumpHost: jump });
    assert.deepEqual(
      diffReadiness(withJump, { ...inputs, triggers: [UNKNOWN], jumpHost: jump }).replaces,
      ["triggers"],
    );
  });
});

describe("diffReadiness with known inputs, after check", () => {
  it("compares check's record: the key is resolved once, at check, never again at diff", () => {
    const { failures, record, keys } = checkAndRecord(inputs);
    assert.deepEqual(failures, []);
    assert.deepEqual(record, olds);
    // Were the key parsed again, this text would fail to parse and read as a new key (a replacement).
    const checked = { ...inputs, privateKey: "not parsed at diff", __recorded: keys };
    assert.deepEqual(diffReadiness(olds, checked), { changes: false, replaces: [] });
    const moved = checkAndRecord({ ...inputs, port: 2222 }).keys;
    assert.deepEqual(diffReadiness(olds, { ...inputs, port: 2222, __recorded: moved }).replaces, [
      "port",
    ]);
  });

  it("records the keys by fingerprint only: what Pulumi stores of it is safe whatever was secret", () => {
    const secretish = {
      ...inputs,
      level: "command" as const,
      command: "test -n TOKEN-command",
      triggers: ["TOKEN-trigger"],
      label: "TOKEN-label",
      jumpHost: { host: "TOKEN-jump.example", username: "TOKEN-user" },
    };
    const { keys, record } = checkAndRecord(secretish);
    assert.deepEqual(Object.keys(keys!).sort(), ["form", "jumpKeyFingerprint", "keyFingerprint"]);
    assert.ok(!JSON.stringify(keys).includes("TOKEN"), JSON.stringify(keys));
    assert.equal(keys!.keyFingerprint, olds.keyFingerprint);
    assert.equal(
      keys!.jumpKeyFingerprint,
      olds.keyFingerprint,
      "the jump host uses the target's key",
    );
    assert.deepEqual(recordOf({ ...secretish, __recorded: keys }), record);
  });

  it("ignores 0.2.0's form of the record, which held the inputs themselves", () => {
    const stale = { ...olds, port: 2222 } as unknown as ReadinessInputs["__recorded"];
    assert.deepEqual(recordOf({ ...inputs, __recorded: stale }), olds);
  });

  it("gives no record for inputs that are not all known, or not valid", () => {
    assert.equal(checkAndRecord({ ...inputs, host: UNKNOWN }).record, undefined);
    assert.equal(checkAndRecord({ ...inputs, port: 0 }).record, undefined);
  });
});
