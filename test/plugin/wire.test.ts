// Secrets across the plugin's boundary: what comes in marked is revealed to the provider code, and what goes
// out is marked as the engine marks a dynamic resource's outputs (by the input of the same name).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { markSecrets, reveal, secretOnWire, secretPaths } from "../../components/plugin/wire";

describe("secret marks on the plugin's wire", () => {
  it("reveals marked values at any depth, leaving the rest as it is", () => {
    const jumpHost = { host: "bastion", privateKey: secretOnWire("KEY") };
    assert.deepEqual(
      reveal({
        privateKey: secretOnWire("KEY"),
        jumpHost,
        pins: [secretOnWire("a"), "b"],
        port: 22,
      }),
      {
        privateKey: "KEY",
        jumpHost: { host: "bastion", privateKey: "KEY" },
        pins: ["a", "b"],
        port: 22,
      },
    );
  });

  it("marks outputs as the engine marks a dynamic resource's: by name, into objects, lists whole", () => {
    const inputs = {
      jumpHost: { host: "bastion", username: secretOnWire("ops"), privateKey: secretOnWire("KEY") },
      triggers: ["vm-1", secretOnWire("TOKEN")],
      command: secretOnWire("test -n TOKEN"),
      whole: secretOnWire({ host: "b" }),
      host: "vm",
    };
    const outputs = markSecrets(
      {
        jumpHost: { host: "bastion", username: "ops", port: 22 },
        triggers: ["vm-1", "TOKEN"],
        command: "test -n TOKEN",
        whole: { host: "b" },
        host: "vm",
      },
      [inputs],
    );
    assert.deepEqual(outputs, {
      jumpHost: { host: "bastion", username: secretOnWire("ops"), port: 22 },
      triggers: secretOnWire(["vm-1", "TOKEN"]),
      command: secretOnWire("test -n TOKEN"),
      whole: secretOnWire({ host: "b" }),
      host: "vm",
    });
  });

  it("names where the inputs hold secrets, into objects, lists whole", () => {
    assert.deepEqual(
      secretPaths({
        jumpHost: { host: "bastion", username: secretOnWire("ops") },
        triggers: ["vm-1", secretOnWire("TOKEN")],
        label: secretOnWire("web"),
        whole: secretOnWire({ host: "b", port: 22 }),
        host: "vm",
      }),
      ["jumpHost.username", "triggers", "label", "whole"],
    );
  });

  it("marks the outputs that are always secret, once", () => {
    const outputs = markSecrets(
      { privateKey: secretOnWire("KEY"), publicKey: "ssh-ed25519 A" },
      [{}],
      ["privateKey"],
    );
    assert.deepEqual(outputs.privateKey, secretOnWire("KEY"));
    assert.equal(outputs.publicKey, "ssh-ed25519 A");
  });
});
