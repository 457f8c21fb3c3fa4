// The plugin's entry point: where it finds the engine it sends its progress lines to.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { engineAddress } from "../../components/plugin/main";

describe("the plugin's arguments", () => {
  it("finds the engine's address past the flags the engine may give first, as the SDK does", () => {
    assert.equal(engineAddress(["127.0.0.1:5000"]), "127.0.0.1:5000");
    assert.equal(
      engineAddress(["-v=9", "--logtostderr", "--tracing", "file:/tmp/t", "127.0.0.1:5000"]),
      "127.0.0.1:5000",
    );
    assert.equal(engineAddress(["--logtostderr"]), undefined);
  });
});
