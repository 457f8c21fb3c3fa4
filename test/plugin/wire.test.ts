// Secrets across the plugin's boundary: what comes in marked is revealed to the provider code, and what goes
// out is marked as the engine marks a dynamic resource's outputs (by the input of the same name).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { markSecrets, reveal, secretOnWire, isWireSecret } from "../../components/plugin/wire";

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

  it("marks an output secret when the input of the same name held a secret anywhere inside", () => {
    const inputs = { jumpHost: { host: "bastion", privateKey: secretOnWire("KEY") }, host: "vm" };
    const outputs = markSecrets({ jumpHost: { host: "bastion", port: 22 }, host: "vm" }, [inputs]);
    assert.ok(
      isWireSecret(outputs.jumpHost),
      "the jump host's record stays secret, as in a dynamic resource",
    );
    assert.equal(outputs.host, "vm");
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
