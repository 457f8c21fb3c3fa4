// The VM's user data as cloud-init will read it: MIME parsed by Python's email package, cloud-config as YAML.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  encodeCustomData,
  hostKeyCloudConfig,
  mergeUserData,
} from "../../components/azure/cloud-init";
import { generateEd25519 } from "../../components/azure/key-generation";
import { cloudConfigs, userDataParts } from "../support/user-data";

const hostKey = generateEd25519("host key of builder");

describe("user data", () => {
  it("installs the host key and nothing else in the component's cloud-config", () => {
    assert.deepEqual(cloudConfigs(hostKeyCloudConfig(hostKey)), [
      {
        ssh_deletekeys: true,
        ssh_genkeytypes: [],
        ssh_keys: { ed25519_private: hostKey.privateKey, ed25519_public: hostKey.publicKey },
      },
    ]);
  });

  it("puts the user's cloud-config second in a multi-part document", () => {
    const user = "#cloud-config\npackages: [nginx]\nssh_keys: {}\n";
    const merged = mergeUserData([hostKeyCloudConfig(hostKey), user]);
    assert.deepEqual(
      userDataParts(merged).map((p) => p.type),
      ["text/cloud-config", "text/cloud-config"],
    );
    const [ours, theirs] = cloudConfigs(merged);
    assert.equal((ours.ssh_keys as Record<string, string>).ed25519_public, hostKey.publicKey);
    assert.deepEqual(theirs, { packages: ["nginx"], ssh_keys: {} });
  });

  it("keeps a user script a script", () => {
    const merged = mergeUserData([hostKeyCloudConfig(hostKey), "#!/bin/bash\necho hi > /tmp/hi\n"]);
    const parts = userDataParts(merged);
    assert.deepEqual(
      parts.map((p) => [p.type, p.text.split("\n")[0]]),
      [
        ["text/cloud-config", "#cloud-config"],
        ["text/x-shellscript", "#!/bin/bash"],
      ],
    );
  });

  it("nests the user's own MIME document, whose parts cloud-init still sees", () => {
    const inner = mergeUserData(["#cloud-config\npackages: [jq]\n", "#!/bin/sh\ntrue\n"]);
    const parts = userDataParts(mergeUserData([hostKeyCloudConfig(hostKey), inner]));
    assert.deepEqual(
      parts.map((p) => p.type),
      ["text/cloud-config", "text/cloud-config", "text/x-shellscript"],
    );
  });

  it("is the same bytes for the same parts (custom data cannot change without a new VM)", () => {
    const parts = [hostKeyCloudConfig(hostKey), "#!/bin/sh\ntrue\n"];
    assert.equal(mergeUserData(parts), mergeUserData([...parts]));
  });

  it("encodes base64 and refuses more than 65,535 bytes", () => {
    assert.equal(Buffer.from(encodeCustomData("#!/bin/sh\n"), "base64").toString(), "#!/bin/sh\n");
    assert.doesNotThrow(() => encodeCustomData("x".repeat(65_535)));
    assert.throws(() => encodeCustomData("x".repeat(65_536)), {
      name: "RangeError",
      message:
        "[customData] makes the VM's custom data 65,536 bytes with the component's own cloud-config; Azure allows 65,535",
    });
  });
});
