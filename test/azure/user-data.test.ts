// The component's reader of the user's user data against Debian's real cloud-init: for each kind of document,
// the parts and types it finds are the ones cloud-init's own UserDataProcessor makes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { userDataParts, userDataType } from "../../components/azure/user-data";
import { cloudInitRead, cloudInitSkipReason } from "../support/cloud-init";

function mime(boundary: string, parts: { headers: string[]; body: string }[]): string {
  return [
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    "MIME-Version: 1.0",
    "",
    ...parts.flatMap((part) => [`--${boundary}`, ...part.headers, "", part.body]),
    `--${boundary}--`,
    "",
  ].join("\n");
}

const documents: Record<string, string> = {
  "a cloud-config": "#cloud-config\npackages: [jq]\n",
  "a script with leading blank lines and upper case": "\n\n#!/BIN/SH\ntrue\n",
  "a boothook": "#cloud-boothook\n#!/bin/sh\necho early\n",
  "a JSON patch": '#cloud-config-jsonp\n[{"op": "add", "path": "/packages", "value": ["jq"]}]\n',
  "a cloud-config archive": [
    "#cloud-config-archive",
    '- content: "#!/bin/sh\\ntrue\\n"',
    "- type: text/cloud-config",
    "  content: |",
    "    packages: [jq]",
    "- |",
    "  #cloud-config",
    "  runcmd: [[true]]",
  ].join("\n"),
  "a MIME document with base64, quoted-printable, guessed, gzip and nested parts": mime("OUTER", [
    {
      headers: ["Content-Type: text/cloud-config", "Content-Transfer-Encoding: base64"],
      body: Buffer.from("#cloud-config\npackages: [jq]\n").toString("base64"),
    },
    {
      headers: ["Content-Type: text/x-shellscript", "Content-Transfer-Encoding: quoted-printable"],
      body: "#!/bin/sh\necho caf=C3=A9 =3D=\n done\n",
    },
    { headers: ["Content-Type: text/plain"], body: "#cloud-config\nruncmd: [[true]]\n" },
    {
      headers: ["Content-Type: application/x-gzip", "Content-Transfer-Encoding: base64"],
      body: gzipSync("#!/bin/sh\necho zipped\n").toString("base64"),
    },
    {
      headers: ['Content-Type: multipart/alternative; boundary="INNER"'],
      body: [
        "--INNER",
        "Content-Type: text/x-shellscript",
        "",
        "#!/bin/sh",
        "echo inner",
        "--INNER--",
      ].join("\n"),
    },
  ]),
};

describe("reading the user's user data", () => {
  it("types a document by its first line as cloud-init does, and refuses what cloud-init would not run", () => {
    assert.equal(userDataType("#cloud-config-archive\n- x\n"), "text/cloud-config-archive");
    assert.equal(userDataType("#cloud-config-jsonp\n[]\n"), "text/cloud-config-jsonp");
    assert.equal(userDataType("#include-once\nhttps://x\n"), "text/x-include-once-url");
    assert.equal(userDataType("## template: jinja\n#cloud-config\n"), "text/jinja2");
    assert.equal(
      userDataType(
        documents["a MIME document with base64, quoted-printable, guessed, gzip and nested parts"],
      ),
      "multipart",
    );
    assert.throws(() => userDataType("apt-get install nginx"), {
      name: "InvalidOptionError",
      message:
        '[customData] is not user data cloud-init runs: start it with "#cloud-config", "#!" (a script), "#cloud-boothook", "#include", or give a MIME multi-part document',
    });
    assert.throws(() => userDataType("MIME-Version: 1.0\n\n#!/bin/sh\n"), {
      name: "InvalidOptionError",
      message: "[customData] is a MIME document without a Content-Type header",
    });
  });

  describe(
    "agrees with real cloud-init's user-data processor",
    { skip: cloudInitSkipReason() },
    () => {
      for (const [what, text] of Object.entries(documents)) {
        it(`finds the same parts in ${what}`, () => {
          const ours = userDataParts(text).map((p) => ({ type: p.type, text: p.text.trim() }));
          const theirs = cloudInitRead(text).parts.map((p) => ({
            type: p.type,
            text: p.text.trim(),
          }));
          assert.deepEqual(ours, theirs);
        });
      }
    },
  );

  it("names each part where it is", () => {
    const text =
      documents["a MIME document with base64, quoted-printable, guessed, gzip and nested parts"];
    assert.deepEqual(
      userDataParts(text).map((p) => [p.where, p.type]),
      [
        ["customData part 1", "text/cloud-config"],
        ["customData part 2", "text/x-shellscript"],
        ["customData part 3", "text/cloud-config"],
        ["customData part 4", "text/x-shellscript"],
        ["customData part 5", "text/x-shellscript"],
      ],
    );
    assert.deepEqual(
      userDataParts(documents["a cloud-config archive"]).map((p) => p.where),
      ["customData, archive entry 1", "customData, archive entry 2", "customData, archive entry 3"],
    );
  });
});
