// New provider code stored by an update: after an upgrade of this package, each dynamic resource shows an update
// (no new wait, no new key) so the state runs the new code on refresh and destroy (pulumi/pulumi#16826).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nicRelease, sshKeyPair, sshReadiness } from "../components/dynamic-providers";
import { UNKNOWN } from "../components/provider-code";
import { recordInputs, type ReadinessInputs } from "../components/ssh-readiness/inputs";

const inputs: ReadinessInputs = { host: "127.0.0.1", port: 2222, level: "tcp", timeout: "30s" };
const stored = {
  ...recordInputs(inputs),
  hostKey: undefined,
  waitedMs: 12,
  __provider: "old code",
};

describe("provider code in the state", () => {
  it("SshReadiness: new code alone is an update, never a replacement", async () => {
    const diff = (code: string) =>
      sshReadiness.diff!("id", stored as never, { ...inputs, __provider: code } as never);
    assert.deepEqual(await diff("new code"), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    assert.equal((await diff("old code")).changes, false);
    assert.equal((await diff(UNKNOWN)).changes, false, "code not known yet (preview) is no change");
    const updated = await sshReadiness.update!("id", stored as never, inputs);
    assert.equal((updated.outs as { waitedMs: number }).waitedMs, 12, "the wait's outputs stay");
  });

  it("SshKeyPair: new code alone is an update that keeps the key", async () => {
    const pair = await sshKeyPair.create({ comment: "c" });
    const made = pair.outs!;
    const olds = { ...made, __provider: "old code" };
    const news = { comment: "c", __provider: "new code" };
    assert.deepEqual(await sshKeyPair.diff!(pair.id, olds, news as never), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const { outs } = await sshKeyPair.update!(pair.id, olds, news as never);
    assert.equal(outs?.privateKey, made.privateKey);
    assert.equal(outs?.fingerprint, pair.id);
  });

  it("NicRelease: new code alone is an update; a new pause too; only a new NIC replaces it", async () => {
    const made = await nicRelease.create({ networkInterfaceId: "/nic/a", holdSeconds: 190 });
    const olds = { ...made.outs!, __provider: "old code" };
    const diff = (news: object) => nicRelease.diff!(made.id, olds, news as never);
    assert.deepEqual(await diff({ ...made.outs, __provider: "new code" }), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: true,
    });
    assert.equal((await diff({ ...made.outs, __provider: "old code" })).changes, false);
    assert.deepEqual((await diff({ ...made.outs, holdSeconds: 200 })).replaces, []);
    assert.deepEqual((await diff({ ...made.outs, networkInterfaceId: "/nic/b" })).replaces, [
      "networkInterfaceId",
    ]);
  });
});
