// SSH key pairs made by ssh2, checked the way OpenSSH reads them: the host keys a VM gets and the admin key.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { utils } from "ssh2";
import { generateKeyPair, KEY_TYPES } from "../../components/keys/generation";
import { sshKeygenFingerprint } from "../support/keys";

describe("generated key pairs", () => {
  for (const type of KEY_TYPES) {
    it(`generates ${type} pairs that OpenSSH's format reads back, each half matching`, () => {
      const pair = generateKeyPair(type, "c");
      const priv = utils.parseKey(pair.privateKey);
      const pub = utils.parseKey(pair.publicKey);
      assert.ok(!(priv instanceof Error) && !(pub instanceof Error));
      assert.ok(!Array.isArray(priv) && !Array.isArray(pub));
      assert.ok(priv.getPublicSSH().equals(pub.getPublicSSH()));
      assert.equal(
        pub.type,
        { ed25519: "ssh-ed25519", ecdsa: "ecdsa-sha2-nistp256", rsa: "ssh-rsa" }[type],
      );
    });
  }

  it("gives the fingerprint ssh-keygen prints for the public half", () => {
    for (const type of KEY_TYPES) {
      const pair = generateKeyPair(type);
      assert.equal(pair.fingerprint, sshKeygenFingerprint(pair.publicKey), type);
    }
  });
});
