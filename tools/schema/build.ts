// Writes the provider plugin's package schema (dist/components/plugin/schema.json), run by `npm run build`
// after tsc: the skeleton's types (components/plugin/schema.ts) with the names, required lists and
// descriptions of the TypeScript declarations. A name in one and not the other stops the build.
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  PACKAGE,
  RESOURCES,
  TYPES,
  type ObjectSkeleton,
  type PropertySkeleton,
} from "../../components/plugin/schema";
import { readDeclarations, type Member } from "./interfaces";

const ROOT = resolve(__dirname, "../../..");

/** The TypeScript files whose declarations the schema describes. */
export const DECLARATION_FILES = [
  "components/ssh-readiness/ssh-readiness.ts",
  "components/azure/args.ts",
  "components/azure/nic-release.ts",
  "components/azure/ssh-key-pair.ts",
  "components/azure/vm-with-ready-ssh.ts",
].map((file) => join(ROOT, file));

interface SchemaProperty extends Omit<PropertySkeleton, "secret"> {
  description: string;
  secret?: true;
}

interface SchemaObject {
  properties: Record<string, SchemaProperty>;
  required: string[];
}

/** One object of the schema: the skeleton's types, TypeScript's names, requirements and docs. */
function complete(
  where: string,
  skeleton: ObjectSkeleton,
  declarations: Map<string, Member[]>,
): SchemaObject {
  const members = declarations.get(skeleton.from);
  if (!members) throw new Error(`${where}: no TypeScript declaration ${skeleton.from}`);
  const leftOut = skeleton.leftOut ?? {};
  const declared = members.filter((member) => !(member.name in leftOut));
  const names = new Set(declared.map((member) => member.name));
  const missing = declared.filter((member) => !(member.name in skeleton.properties));
  const extra = Object.keys(skeleton.properties).filter((name) => !names.has(name));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `${where} disagrees with ${skeleton.from}: ` +
        [
          missing.length ? `not in the schema: ${missing.map((m) => m.name).join(", ")}` : "",
          extra.length ? `not in TypeScript: ${extra.join(", ")}` : "",
        ]
          .filter(Boolean)
          .join("; "),
    );
  }
  const properties: Record<string, SchemaProperty> = {};
  const required: string[] = [];
  for (const member of declared) {
    if (!member.doc) throw new Error(`${where}: ${skeleton.from}.${member.name} has no JSDoc`);
    const plain = skeleton.plainInputs && !member.typeText.trim().startsWith("pulumi.Input<");
    properties[member.name] = property(
      { ...skeleton.properties[member.name], ...(plain ? { plain: true as const } : {}) },
      member.doc,
    );
    if (!member.optional) required.push(member.name);
  }
  for (const [name, { optional, description, ...spec }] of Object.entries(skeleton.added ?? {})) {
    properties[name] = property(spec, description);
    if (!optional) required.push(name);
  }
  return { properties, required };
}

function property({ secret, ...spec }: PropertySkeleton, description: string): SchemaProperty {
  return { ...spec, description, ...(secret ? { secret: true as const } : {}) };
}

/** The package schema, completed from the declarations in `files`. */
/**
 * Go's code generator makes Go identifiers from the package's name, and "vm-with-ready-ssh" is none: without
 * these, the Go SDK it writes does not compile (the azure package would refer to `vm-with-ready-ssh.SshReadiness`).
 * The import path keeps the generator's default prefix (example.com/pulumi-NAME/sdk/go, what `pulumi package
 * add` makes a local module of) and ends in a valid package name; the alias is how the generator spells a
 * reference from a module to a resource of the index module.
 */
const GO_IMPORT_BASE_PATH = "example.com/pulumi-vm-with-ready-ssh/sdk/go/vmwithreadyssh";
export const GO = {
  importBasePath: GO_IMPORT_BASE_PATH,
  packageImportAliases: { [`${GO_IMPORT_BASE_PATH}/${PACKAGE}`]: "vmwithreadyssh" },
};

export function packageSchema(files = DECLARATION_FILES): Record<string, unknown> {
  const declarations = readDeclarations(files);
  const { version, license, homepage, repository } = JSON.parse(
    readFileSync(join(ROOT, "package.json"), "utf8"),
  ) as { version: string; license: string; homepage?: string; repository?: unknown };
  const types = Object.fromEntries(
    Object.entries(TYPES).map(([token, skeleton]) => {
      const { properties, required } = complete(token, skeleton, declarations);
      return [
        `${PACKAGE}:${token}`,
        {
          type: "object",
          description: skeleton.description,
          properties,
          ...(required.length ? { required } : {}),
        },
      ];
    }),
  );
  const resources = Object.fromEntries(
    Object.entries(RESOURCES).map(([token, skeleton]) => {
      const inputs = complete(`${token} inputs`, skeleton.inputs, declarations);
      const outputs = complete(`${token} outputs`, skeleton.outputs, declarations);
      return [
        token,
        {
          description: skeleton.description,
          ...(skeleton.isComponent ? { isComponent: true } : {}),
          inputProperties: inputs.properties,
          requiredInputs: inputs.required,
          properties: outputs.properties,
          required: outputs.required,
        },
      ];
    }),
  );
  return {
    name: PACKAGE,
    displayName: "VM with ready SSH",
    version,
    description:
      "Wait until sshd on a fresh VM really answers (handshake, verified host key, key login, cloud-init " +
      "done), and Azure Linux VMs that are ready before anything uses them.",
    keywords: ["pulumi", "azure", "ssh", "readiness", "cloud-init", "kind/component"],
    license,
    ...(homepage ? { homepage } : {}),
    ...(typeof repository === "string" ? { repository } : {}),
    meta: { moduleFormat: "(.*)" },
    language: { go: GO },
    types,
    resources,
  };
}

if (require.main === module) {
  const out = join(ROOT, "dist/components/plugin/schema.json");
  writeFileSync(out, `${JSON.stringify(packageSchema(), null, 2)}\n`);
}
