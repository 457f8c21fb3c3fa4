// Reads VM user data the way cloud-init does: MIME with Python's email package (cloud-init's own parser), a
// single document by its first line; cloud-config parts as YAML.
import { spawnSync } from "node:child_process";
import { parse } from "yaml";

export interface UserDataPart {
  type: string;
  text: string;
}

const PYTHON_WALK = `
import email, json, sys
msg = email.message_from_string(sys.stdin.read())
print(json.dumps([{"type": p.get_content_type(), "text": p.get_payload(decode=True).decode("utf-8")}
                  for p in msg.walk() if not p.is_multipart()]))
`;

export function userDataParts(text: string): UserDataPart[] {
  if (!/^Content-Type:/i.test(text)) {
    return [
      { type: text.startsWith("#cloud-config") ? "text/cloud-config" : "text/x-shellscript", text },
    ];
  }
  const run = spawnSync("python3", ["-c", PYTHON_WALK], { input: text, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`python3 could not parse the MIME document: ${run.stderr}`);
  return JSON.parse(run.stdout) as UserDataPart[];
}

/** The cloud-config parts, parsed. */
export function cloudConfigs(text: string): Record<string, unknown>[] {
  return userDataParts(text)
    .filter((p) => p.type === "text/cloud-config")
    .map((p) => {
      if (!p.text.startsWith("#cloud-config"))
        throw new Error("a cloud-config part must start with #cloud-config");
      return parse(p.text) as Record<string, unknown>;
    });
}
