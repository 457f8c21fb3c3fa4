import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { utils } from "ssh2";
import {
  describeHostKey,
  HostKeyPin,
  hostKeyAlgorithmsFor,
  knownHostsLine,
} from "../../components/readiness/host-key";
import { sshKeygen, sshKeygenFingerprint } from "../support/keys";

function info(line: string) {
  const key = utils.parseKey(line);
  if (key instanceof Error) throw key;
  return describeHostKey(key.getPublicSSH());
}

describe("host keys", () => {
  for (const type of ["ed25519", "ecdsa", "rsa"] as const) {
    it(`prints the same SHA256 fingerprint as ssh-keygen -lf for ${type}`, () => {
      const pair = sshKeygen(type);
      assert.equal(info(pair.public).fingerprint, sshKeygenFingerprint(pair.public));
    });
  }

  it("writes known_hosts lines bare on port 22 and bracketed elsewhere", () => {
    const key = info(sshKeygen("ed25519").public);
    assert.equal(knownHostsLine("20.1.2.3", 22, key), `20.1.2.3 ${key.line}`);
    assert.equal(knownHostsLine("::1", 2222, key), `[::1]:2222 ${key.line}`);
  });

  it("pins by full key line (comment ignored) or by fingerprint", () => {
    const a = sshKeygen("ed25519");
    const b = sshKeygen("rsa");
    const pin = HostKeyPin.parse([a.public, sshKeygenFingerprint(b.public)]);
    assert.ok(pin.matches(info(a.public)));
    assert.ok(pin.matches(info(b.public)));
    assert.ok(!pin.matches(info(sshKeygen("ed25519").public)));
    assert.equal(pin.onlyFullKeys, false);
  });

  it("offers only the pinned key types when every pin is a full key", () => {
    const pin = HostKeyPin.parse([sshKeygen("rsa").public, sshKeygen("ed25519").public]);
    assert.deepEqual(hostKeyAlgorithmsFor(pin), [
      "rsa-sha2-512",
      "rsa-sha2-256",
      "ssh-rsa",
      "ssh-ed25519",
    ]);
  });

  it("offers ssh2's defaults minus excluded types for fingerprint pins", () => {
    const pin = HostKeyPin.parse(sshKeygenFingerprint(sshKeygen("rsa").public));
    assert.equal(hostKeyAlgorithmsFor(pin), undefined);
    assert.deepEqual(hostKeyAlgorithmsFor(pin, ["ssh-ed25519", "ecdsa-sha2-nistp256"]), [
      "ecdsa-sha2-nistp384",
      "ecdsa-sha2-nistp521",
      "rsa-sha2-512",
      "rsa-sha2-256",
      "ssh-rsa",
    ]);
  });

  it("rejects an empty pin list and names the bad entry", () => {
    assert.throws(() => HostKeyPin.parse([]), {
      name: "InvalidOptionError",
      message: "[hostKeyPin] is an empty list",
    });
    assert.throws(() => HostKeyPin.parse(["SHA256:" + "A".repeat(43), 42]), {
      name: "InvalidOptionError",
      message: "[hostKeyPin] entry 2 must be a SHA256: fingerprint or an OpenSSH public key line",
    });
  });
});
