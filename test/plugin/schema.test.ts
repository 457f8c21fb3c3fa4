// The provider plugin's package schema: the one the build ships is the one the TypeScript declarations make
// now, it follows the rules of Pulumi's package metaschema (pulumi/pulumi pkg/codegen/schema/pulumi.json:
// tokens, the five forms of a type, the keys each part may have, references that resolve), and it says what
// is secret, required, plain and a component.
import assert from "node:assert/strict";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { describe, it } from "node:test";
import { SSH_KEY_PAIR, SSH_READINESS, VM_WITH_READY_SSH } from "../../components/plugin/schema";
import { DECLARATION_FILES, packageSchema } from "../../tools/schema/build";
import { scratchDir } from "../support/scratch";

const REPO = resolve(__dirname, "../../..");
const shipped = JSON.parse(
  readFileSync(join(REPO, "dist/components/plugin/schema.json"), "utf8"),
) as Schema;

interface Property {
  [key: string]: unknown;
}
interface ObjectType {
  type?: string;
  description?: string;
  properties?: Record<string, Property>;
  required?: string[];
}
interface Resource extends ObjectType {
  isComponent?: boolean;
  inputProperties?: Record<string, Property>;
  requiredInputs?: string[];
}
interface Schema {
  [key: string]: unknown;
  name: string;
  version: string;
  types: Record<string, ObjectType>;
  resources: Record<string, Resource>;
}

// From the metaschema.
const TOKEN = /^[a-zA-Z][-a-zA-Z0-9_]*:([^0-9][a-zA-Z0-9._/-]*)?:[^0-9][a-zA-Z0-9._/-]*$/;
const NAME = /^[a-zA-Z][-a-zA-Z0-9_]*$/;
const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const PACKAGE_KEYS = new Set([
  "name", "displayName", "version", "description", "keywords", "homepage", "license", "attribution",
  "repository", "logoUrl", "pluginDownloadURL", "configurationDocsUrl", "validateCredentialsOnNew",
  "publisher", "namespace", "meta", "config", "types", "dependencies", "provider", "resources", "functions",
  "language", "parameterization", "allowedPackageNames",
]); // prettier-ignore
const TYPE_KEYS = [
  "type",
  "items",
  "additionalProperties",
  "$ref",
  "oneOf",
  "plain",
  "discriminator",
];
const PROPERTY_KEYS = new Set([
  ...TYPE_KEYS, "description", "const", "default", "defaultInfo", "deprecationMessage", "language", "secret",
  "replaceOnChanges", "willReplaceOnChanges",
]); // prettier-ignore
const OBJECT_KEYS = ["description", "properties", "type", "required", "language", "isOverlay"];
const RESOURCE_KEYS = new Set([
  ...OBJECT_KEYS, "inputProperties", "requiredInputs", "stateInputs", "aliases", "deprecationMessage",
  "isComponent", "methods",
]); // prettier-ignore
const BUILT_IN = new Set(["pulumi.json#/Any", "pulumi.json#/Archive", "pulumi.json#/Asset"]);

/** Every problem with one type reference, by the metaschema's five forms (primitive, array, map, named, union). */
function typeProblems(spec: Property, where: string, schema: Schema): string[] {
  const has = (key: string) => spec[key] !== undefined;
  const problems: string[] = [];
  if (has("$ref")) {
    const ref = String(spec.$ref);
    const local = /^#\/(types|resources)\/(.+)$/.exec(ref);
    if (local ? !(local[2] in schema[local[1] as "types" | "resources"]) : !BUILT_IN.has(ref))
      problems.push(`${where}: $ref ${ref} resolves to nothing`);
    if (has("items") || has("oneOf") || has("additionalProperties"))
      problems.push(`${where}: $ref and more`);
  } else if (has("oneOf")) {
    const members = spec.oneOf as Property[];
    if (!Array.isArray(members) || members.length < 2)
      problems.push(`${where}: oneOf needs 2 or more`);
    else
      members.forEach((m, i) => problems.push(...typeProblems(m, `${where}.oneOf[${i}]`, schema)));
  } else if (spec.type === "array") {
    if (!has("items")) problems.push(`${where}: an array needs items`);
    else problems.push(...typeProblems(spec.items as Property, `${where}.items`, schema));
  } else if (spec.type === "object") {
    if (has("additionalProperties"))
      problems.push(
        ...typeProblems(spec.additionalProperties as Property, `${where}.values`, schema),
      );
  } else if (!["boolean", "integer", "number", "string"].includes(String(spec.type))) {
    problems.push(`${where}: no type`);
  } else if (has("items") || has("additionalProperties")) {
    problems.push(`${where}: a primitive with more than its type`);
  }
  return problems;
}

function propertyProblems(
  properties: Record<string, Property>,
  required: string[] | undefined,
  where: string,
  schema: Schema,
): string[] {
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(properties)) {
    for (const key of Object.keys(spec))
      if (!PROPERTY_KEYS.has(key)) problems.push(`${where}.${name}: unknown key ${key}`);
    if (typeof spec.description !== "string" || spec.description === "")
      problems.push(`${where}.${name}: no description`);
    if (
      spec.default !== undefined &&
      !["boolean", "number", "string"].includes(typeof spec.default)
    )
      problems.push(`${where}.${name}: default of the wrong kind`);
    problems.push(...typeProblems(spec, `${where}.${name}`, schema));
  }
  for (const name of required ?? [])
    if (!(name in properties)) problems.push(`${where}: required ${name} is not a property`);
  return problems;
}

function schemaProblems(schema: Schema): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(schema))
    if (!PACKAGE_KEYS.has(key)) problems.push(`package: unknown key ${key}`);
  if (!NAME.test(schema.name)) problems.push(`package name ${schema.name}`);
  if (!SEMVER.test(schema.version)) problems.push(`package version ${schema.version}`);
  for (const [token, type] of Object.entries(schema.types)) {
    if (!TOKEN.test(token)) problems.push(`type token ${token}`);
    if (type.type !== "object") problems.push(`${token}: not an object type`);
    for (const key of Object.keys(type))
      if (!OBJECT_KEYS.includes(key)) problems.push(`${token}: unknown key ${key}`);
    problems.push(...propertyProblems(type.properties ?? {}, type.required, token, schema));
  }
  for (const [token, resource] of Object.entries(schema.resources)) {
    if (!TOKEN.test(token)) problems.push(`resource token ${token}`);
    for (const key of Object.keys(resource))
      if (!RESOURCE_KEYS.has(key)) problems.push(`${token}: unknown key ${key}`);
    problems.push(
      ...propertyProblems(
        resource.inputProperties ?? {},
        resource.requiredInputs,
        `${token} inputs`,
        schema,
      ),
      ...propertyProblems(resource.properties ?? {}, resource.required, `${token} outputs`, schema),
    );
  }
  return problems;
}

/** Every property path marked secret, as `token inputs.name` or `token.name`. */
function secrets(schema: Schema): string[] {
  const marked = (where: string, properties: Record<string, Property> = {}) =>
    Object.entries(properties)
      .filter(([, spec]) => spec.secret === true)
      .map(([name]) => `${where}.${name}`);
  return [
    ...Object.entries(schema.types).flatMap(([token, t]) => marked(token, t.properties)),
    ...Object.entries(schema.resources).flatMap(([token, r]) => [
      ...marked(`${token} inputs`, r.inputProperties),
      ...marked(`${token} outputs`, r.properties),
    ]),
  ].sort();
}

describe("the provider plugin's package schema", () => {
  it("is the one the TypeScript declarations make now", () => {
    assert.deepEqual(packageSchema(), shipped);
  });

  it("follows the package metaschema's rules, every reference resolving", () => {
    assert.deepEqual(schemaProblems(shipped), []);
  });

  it("finds what breaks those rules", () => {
    const broken = structuredClone(shipped);
    const readiness = broken.resources[SSH_READINESS];
    readiness.inputProperties!.port = { type: "integer" };
    readiness.inputProperties!.jumpHost = { $ref: "#/types/vm-with-ready-ssh:index:Nowhere" };
    readiness.requiredInputs = ["host", "hostname"];
    broken.types["vm-with-ready-ssh:1:Bad"] = { type: "object", properties: {} };
    assert.deepEqual(schemaProblems(broken), [
      "type token vm-with-ready-ssh:1:Bad",
      `${SSH_READINESS} inputs.port: no description`,
      `${SSH_READINESS} inputs.jumpHost: no description`,
      `${SSH_READINESS} inputs.jumpHost: $ref #/types/vm-with-ready-ssh:index:Nowhere resolves to nothing`,
      `${SSH_READINESS} inputs: required hostname is not a property`,
    ]);
  });

  it("marks every key and passphrase secret, and the component's connection", () => {
    assert.deepEqual(
      secrets(shipped),
      [
        `${SSH_KEY_PAIR} outputs.privateKey`,
        `${SSH_READINESS} inputs.jumpHost`,
        `${SSH_READINESS} inputs.passphrase`,
        `${SSH_READINESS} inputs.privateKey`,
        `${VM_WITH_READY_SSH} outputs.adminPrivateKey`,
        `${VM_WITH_READY_SSH} outputs.connection`,
        "vm-with-ready-ssh:azure:Connection.privateKey",
        "vm-with-ready-ssh:azure:Connection.privateKeyPassword",
        "vm-with-ready-ssh:azure:Ssh.passphrase",
        "vm-with-ready-ssh:azure:Ssh.privateKey",
        "vm-with-ready-ssh:index:JumpHost.passphrase",
        "vm-with-ready-ssh:index:JumpHost.privateKey",
      ].sort(),
    );
  });

  it("requires what TypeScript requires, and says which inputs take values only", () => {
    const vm = shipped.resources[VM_WITH_READY_SSH];
    assert.equal(vm.isComponent, true);
    assert.deepEqual(vm.requiredInputs, ["location", "adminUsername"]);
    assert.deepEqual(shipped.resources[SSH_READINESS].requiredInputs, ["host"]);
    const plain = Object.entries(vm.inputProperties!)
      .filter(([, spec]) => spec.plain === true)
      .map(([name]) => name);
    assert.deepEqual(plain, [
      "adminUsername", "ssh", "hostKeyTrust", "securityType", "image", "osDisk", "computerName",
      "customData", "network", "readiness", "frozen",
    ]); // prettier-ignore
    assert.equal(
      shipped.types["vm-with-ready-ssh:azure:Network"].properties!.subnetId.plain,
      undefined,
    );
    assert.equal(shipped.types["vm-with-ready-ssh:azure:Network"].properties!.publicIp.plain, true);
    assert.equal(
      shipped.resources[SSH_READINESS].inputProperties!.port.description,
      "SSH port. Defaults to 22.",
      "descriptions are the TypeScript JSDoc",
    );
  });

  it("stops the build when a TypeScript declaration and the schema disagree on a name", () => {
    const dir = scratchDir("ssh-ready-schema-");
    const files = DECLARATION_FILES.map((file) => {
      const copy = join(dir, basename(file));
      copyFileSync(file, copy);
      return copy;
    });
    const args = files.find((file) => file.endsWith("args.ts"))!;
    writeFileSync(
      args,
      readFileSync(args, "utf8").replace(
        "export interface VmWithReadySshArgs {",
        "export interface VmWithReadySshArgs {\n  /** A new argument. */\n  zone?: string;",
      ),
    );
    assert.throws(
      () => packageSchema(files),
      /^Error: vm-with-ready-ssh:azure:VmWithReadySsh inputs disagrees with VmWithReadySshArgs: not in the schema: zone$/,
    );
  });
});
