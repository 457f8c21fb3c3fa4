// The VM's user data as cloud-init reads it: Debian's real cloud-init (its user-data processor, cloud-config
// part handler and schema validator) reads what the component writes, and its ssh module applies it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { utils } from "ssh2";
import {
  encodeCustomData,
  hostKeyCloudConfig,
  longestKeyPair,
  mergeUserData,
  vmUserData,
  type HostKeys,
} from "../../components/azure/cloud-init";
import { generateKeyPair, KEY_TYPES } from "../../components/keys/generation";
import { fingerprintOf } from "../../components/readiness/host-key";
import { cloudInitApply, cloudInitRead, cloudInitSkipReason } from "../support/cloud-init";

function hostKeys(): HostKeys {
  return {
    ed25519: generateKeyPair("ed25519", "ed25519 host key of builder"),
    ecdsa: generateKeyPair("ecdsa", "ecdsa host key of builder"),
    rsa: generateKeyPair("rsa", "rsa host key of builder"),
  };
}

/** The `ssh_keys` a config must hold for `keys`: each type's private and public half, nothing else. */
function sshKeysOf(keys: HostKeys): Record<string, string> {
  return Object.fromEntries(
    KEY_TYPES.flatMap((type) => [
      [`${type}_private`, keys[type].privateKey],
      [`${type}_public`, keys[type].publicKey],
    ]),
  );
}

describe("host key pairs", () => {
  it("never writes a key longer than the size bound used at preview", () => {
    for (const type of KEY_TYPES) {
      const bound = longestKeyPair(type, `${type} host key of builder`);
      for (let i = 0; i < (type === "rsa" ? 8 : 64); i++) {
        const pair = generateKeyPair(type, `${type} host key of builder`);
        assert.ok(pair.privateKey.length <= bound.privateKey.length, `${type} private key`);
        assert.equal(pair.publicKey.length, bound.publicKey.length, `${type} public key`);
      }
    }
  });
});

describe("user data", () => {
  it("puts the user's part first and the host keys last in a multi-part document", () => {
    const keys = hostKeys();
    const merged = vmUserData("#!/bin/sh\ntrue\n", keys)!;
    assert.match(
      merged,
      /^Content-Type: multipart\/mixed; boundary="==vm-with-ready-ssh-[0-9a-f]{24}=="/,
    );
    assert.ok(merged.indexOf("#!/bin/sh") < merged.indexOf("#cloud-config"));
    assert.equal(vmUserData(undefined, undefined), undefined);
    assert.equal(vmUserData("#!/bin/sh\ntrue\n", undefined), "#!/bin/sh\ntrue\n");
  });

  it("is the same bytes for the same parts (custom data cannot change without a new VM)", () => {
    const parts = ["#!/bin/sh\ntrue\n", "#cloud-config\npackages: [jq]\n"];
    assert.equal(mergeUserData(parts), mergeUserData([...parts]));
    assert.notEqual(mergeUserData(parts), mergeUserData([...parts].reverse()));
  });

  it("encodes base64 and refuses more than 65,535 bytes", () => {
    assert.equal(Buffer.from(encodeCustomData("#!/bin/sh\n"), "base64").toString(), "#!/bin/sh\n");
    assert.doesNotThrow(() => encodeCustomData("x".repeat(65_535)));
    assert.throws(() => encodeCustomData("x".repeat(65_536)), {
      name: "InvalidOptionError",
      message:
        "[customData] makes the VM's custom data 65,536 bytes with the component's own cloud-config; Azure allows 65,535",
    });
  });
});

describe(
  "real cloud-init reading the component's user data",
  { skip: cloudInitSkipReason() },
  () => {
    it("merges exactly the pinned host keys, with no schema error, deprecation or warning", () => {
      const keys = hostKeys();
      const read = cloudInitRead(hostKeyCloudConfig(keys));
      assert.deepEqual(read.merged, { ssh_deletekeys: true, ssh_keys: sshKeysOf(keys) });
      assert.deepEqual([read.schemaErrors, read.schemaDeprecations, read.warnings], [[], [], []]);
    });

    it("refused the config this component wrote before (an empty ssh_genkeytypes)", () => {
      const read = cloudInitRead("#cloud-config\nssh_deletekeys: true\nssh_genkeytypes: []\n");
      assert.deepEqual(read.schemaErrors, ["ssh_genkeytypes: [] is too short"]);
    });

    const userData: Record<string, string> = {
      "a cloud-config": "#cloud-config\npackages: [nginx]\nruncmd: [[touch, /tmp/ran]]\n",
      "a shell script": "#!/bin/bash\necho hi > /tmp/hi\n",
      "a MIME document": mergeUserData(["#cloud-config\npackages: [jq]\n", "#!/bin/sh\ntrue\n"]),
    };
    for (const [what, text] of Object.entries(userData)) {
      it(`keeps ${what} and the pinned keys, with no schema error or warning`, () => {
        const keys = hostKeys();
        const read = cloudInitRead(vmUserData(text, keys)!);
        assert.deepEqual(read.merged?.ssh_keys, sshKeysOf(keys));
        assert.equal(read.merged?.ssh_deletekeys, true);
        assert.deepEqual([read.schemaErrors, read.schemaDeprecations, read.warnings], [[], [], []]);
        // The user's parts come through whole, before the component's.
        const last = read.parts.at(-1)!;
        assert.equal(last.type, "text/cloud-config");
        assert.equal(last.text.trimEnd(), hostKeyCloudConfig(keys).trimEnd());
        if (what === "a cloud-config") {
          assert.deepEqual(read.merged?.packages, ["nginx"]);
          assert.deepEqual(read.merged?.runcmd, [["touch", "/tmp/ran"]]);
        }
        if (what === "a shell script") {
          // MIME puts the line break before a boundary in the delimiter: the part ends without it.
          assert.deepEqual(read.parts[0], { type: "text/x-shellscript", text: text.trimEnd() });
        }
        if (what === "a MIME document") {
          assert.deepEqual(
            read.parts.map((p) => p.type),
            ["text/cloud-config", "text/x-shellscript", "text/cloud-config"],
          );
          assert.deepEqual(read.merged?.packages, ["jq"]);
        }
      });
    }

    it("keeps the pinned keys even when an earlier part sets its own (the host keys come last)", () => {
      const keys = hostKeys();
      const other = generateKeyPair("ed25519");
      const sneaky = `#cloud-config\nssh_deletekeys: false\nssh_keys:\n  ed25519_private: |\n${other.privateKey
        .trimEnd()
        .split("\n")
        .map((l) => `    ${l}`)
        .join("\n")}\n  ed25519_public: ${other.publicKey}\n`;
      // Alone, cloud-init would install the user's key and keep the image's.
      const alone = cloudInitRead(sneaky);
      assert.equal(
        (alone.merged?.ssh_keys as Record<string, string>).ed25519_public,
        other.publicKey,
      );
      // In the component's document (bypassing its preview check), the component's keys win.
      const read = cloudInitRead(vmUserData(sneaky, keys)!);
      assert.deepEqual(read.merged?.ssh_keys, sshKeysOf(keys));
      assert.equal(read.merged?.ssh_deletekeys, true);
    });
  },
);

describe(
  "real cloud-init's ssh module and the Azure VM agent on the component's config",
  { skip: cloudInitSkipReason({ needsRoot: true }) },
  () => {
    it("writes the three pinned keys, deletes the image's, and lets the agent report ready", () => {
      const keys = hostKeys();
      const { merged } = cloudInitRead(hostKeyCloudConfig(keys));
      const applied = cloudInitApply(merged!, {
        ssh_host_dsa_key: "image key",
        ssh_host_ecdsa_key: "image key",
      });
      try {
        assert.deepEqual(applied.files, {
          ssh_host_ecdsa_key: keys.ecdsa.privateKey,
          "ssh_host_ecdsa_key.pub": keys.ecdsa.publicKey,
          ssh_host_ed25519_key: keys.ed25519.privateKey,
          "ssh_host_ed25519_key.pub": keys.ed25519.publicKey,
          ssh_host_rsa_key: keys.rsa.privateKey,
          "ssh_host_rsa_key.pub": keys.rsa.publicKey,
        });
        assert.deepEqual(applied.warnings, []);
        // The agent's thumbprint is the RSA key's SHA256 fingerprint without its colon.
        assert.equal(applied.agent.keyType, "rsa");
        const rsa = utils.parseKey(keys.rsa.publicKey);
        assert.ok(!(rsa instanceof Error) && !Array.isArray(rsa));
        assert.equal(applied.agent.thumbprint, fingerprintOf(rsa.getPublicSSH()).replace(":", ""));
      } finally {
        applied.dispose();
      }
    });

    it("left the agent waiting when only an Ed25519 key was installed (why all three types)", () => {
      const key = generateKeyPair("ed25519");
      const applied = cloudInitApply({
        ssh_deletekeys: true,
        ssh_keys: { ed25519_private: key.privateKey, ed25519_public: key.publicKey },
      });
      try {
        assert.match(
          applied.agent.error ?? "",
          /ssh host key was not found at \/etc\/ssh\/ssh_host_rsa_key\.pub/,
        );
      } finally {
        applied.dispose();
      }
    });
  },
);
