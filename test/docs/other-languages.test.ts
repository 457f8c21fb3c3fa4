// The Python and YAML examples of the docs, read from the Markdown, against the schema their SDKs are made
// from: Python's own parser reads the Python, and every SDK class, argument and output it names must exist
// under the Python SDK's naming rules (input types `<Type>Args`, names in snake_case); every resource, property
// and `${resource.output}` of the YAML must exist, and every required argument be given. No SDK is generated
// here (that needs the Pulumi CLI: see the acceptance test).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { PACKAGE } from "../../components/plugin/schema";
import { codeBlocks, docFiles, REPO, type CodeBlock } from "../support/doc-examples";

interface Spec {
  $ref?: string;
  oneOf?: Spec[];
  items?: Spec;
  properties?: Record<string, Spec>;
  [key: string]: unknown;
}
interface Resource {
  inputProperties: Record<string, Spec>;
  requiredInputs: string[];
  properties: Record<string, Spec>;
}
const schema = JSON.parse(
  readFileSync(join(REPO, "dist/components/plugin/schema.json"), "utf8"),
) as {
  types: Record<string, { properties: Record<string, Spec> }>;
  resources: Record<string, Resource>;
};

const blocks = docFiles().flatMap(codeBlocks);
const python = blocks.filter(
  (b) => b.lang === "python" && b.code.includes("pulumi_vm_with_ready_ssh"),
);
const yamlPrograms = blocks.filter(
  (b) => b.lang === "yaml" && b.code.includes(`type: ${PACKAGE}:`),
);

const camel = (snake: string) => snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const at = (block: CodeBlock) => `${block.file}:${block.line}`;

/** The object type a property refers to, when it refers to one (directly or as one of a union). */
function objectType(spec: Spec | undefined): string | undefined {
  const refs = [spec, ...(spec?.oneOf ?? [])].map((s) => s?.$ref).filter(Boolean) as string[];
  const ref = refs.find((r) => r.startsWith("#/types/"));
  return ref?.slice("#/types/".length);
}

interface PythonUses {
  calls: {
    func: string;
    positional: number;
    kwargs: string[];
    assignedTo: string | null;
    line: number;
  }[];
  reads: { var: string; attr: string; line: number }[];
  applies: { var: string; attr: string; fields: string[] }[];
}

function pythonUses(code: string): PythonUses {
  const script = join(REPO, "test/support/python_sdk_uses.py");
  return JSON.parse(
    execFileSync("/usr/bin/python3", [script, "pulumi_vm_with_ready_ssh"], {
      input: code,
      encoding: "utf8",
    }),
  ) as PythonUses;
}

/** What is wrong with a Python program's use of the SDK, as `line: problem`. */
function pythonProblems(uses: PythonUses): string[] {
  const problems: string[] = [];
  const resourceOf = new Map<string, Resource>();
  for (const call of uses.calls) {
    const [module, name] = call.func.includes(".") ? call.func.split(".") : ["index", call.func];
    const type = name.endsWith("Args")
      ? schema.types[`${PACKAGE}:${module}:${name.slice(0, -4)}`]
      : undefined;
    const resource = schema.resources[`${PACKAGE}:${module}:${name}`];
    const properties = type?.properties ?? resource?.inputProperties;
    if (!properties) {
      problems.push(`${call.line}: the SDK has no ${call.func}`);
      continue;
    }
    for (const kwarg of call.kwargs)
      if (!(camel(kwarg) in properties))
        problems.push(`${call.line}: ${call.func} takes no ${kwarg}`);
    if (resource) {
      if (call.positional !== 1) problems.push(`${call.line}: ${call.func} takes its name first`);
      for (const required of resource.requiredInputs)
        if (!call.kwargs.includes(snake(required)))
          problems.push(`${call.line}: ${call.func} needs ${snake(required)}`);
      if (call.assignedTo) resourceOf.set(call.assignedTo, resource);
    }
  }
  for (const read of uses.reads) {
    const resource = resourceOf.get(read.var);
    if (resource && !(camel(read.attr) in resource.properties))
      problems.push(`${read.line}: ${read.var} has no output ${read.attr}`);
  }
  for (const apply of uses.applies) {
    const type = objectType(resourceOf.get(apply.var)?.properties[camel(apply.attr)]);
    const properties = type ? schema.types[type].properties : {};
    for (const field of apply.fields)
      if (!(camel(field) in properties))
        problems.push(`${apply.var}.${apply.attr} has no ${field}`);
  }
  return problems;
}

/** What is wrong with a YAML program's use of the package, as `where: problem`. */
function yamlProblems(code: string): string[] {
  const program = parse(code) as {
    resources: Record<string, { type: string; properties?: Record<string, unknown> }>;
    outputs?: Record<string, unknown>;
  };
  const problems: string[] = [];
  const checkObject = (value: unknown, properties: Record<string, Spec>, where: string) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return;
    for (const [key, item] of Object.entries(value)) {
      if (!(key in properties)) problems.push(`${where}: no property ${key}`);
      const type = objectType(properties[key]);
      if (type) checkObject(item, schema.types[type].properties, `${where}.${key}`);
    }
  };
  for (const [name, { type, properties = {} }] of Object.entries(program.resources)) {
    if (!type.startsWith(`${PACKAGE}:`)) continue;
    const resource = schema.resources[type];
    if (!resource) {
      problems.push(`${name}: no resource type ${type}`);
      continue;
    }
    checkObject(properties, resource.inputProperties, name);
    for (const required of resource.requiredInputs)
      if (!(required in properties)) problems.push(`${name}: needs ${required}`);
  }
  for (const [, resourceName, output] of code.matchAll(/\$\{(\w+)\.(\w+)\}/g)) {
    const type = program.resources[resourceName]?.type;
    if (type?.startsWith(`${PACKAGE}:`) && !(output in schema.resources[type].properties))
      problems.push(`\${${resourceName}.${output}}: ${type} has no output ${output}`);
  }
  return problems;
}

describe("the docs' Python and YAML examples, against the schema", () => {
  it("has Python and YAML programs to check", () => {
    assert.ok(python.length >= 1, "a Python example");
    assert.ok(yamlPrograms.length >= 1, "a YAML example");
  });

  it("uses only classes, arguments and outputs the Python SDK has, and every required argument", () => {
    for (const block of python) {
      const uses = pythonUses(block.code);
      assert.ok(
        uses.calls.some((c) => c.func === "azure.VmWithReadySsh"),
        at(block),
      );
      assert.deepEqual(pythonProblems(uses), [], at(block));
    }
  });

  it("finds a Python program's wrong names, missing arguments and outputs that do not exist", () => {
    const uses = pythonUses(`import pulumi_vm_with_ready_ssh as r
vm = r.azure.VmWithReadySsh("vm", location="westeurope", admin_user="azureuser",
    network=r.azure.NetworkArgs(public_ip=True, allowed_cidrs=["203.0.113.4/32"]))
r.SshReadiness("ready", host=vm.ssh_host, timeout="5m")
r.azure.Nothing("x")
pulumi_export = vm.host_key_line
vm.connection.apply(lambda c: c.pass_word)
`);
    assert.deepEqual(pythonProblems(uses), [
      "2: azure.VmWithReadySsh takes no admin_user",
      "2: azure.VmWithReadySsh needs admin_username",
      "3: azure.NetworkArgs takes no allowed_cidrs",
      "5: the SDK has no azure.Nothing",
      "6: vm has no output host_key_line",
      "vm.connection has no pass_word",
    ]);
  });

  it("uses only types, properties and outputs the package has, and every required property", () => {
    for (const block of yamlPrograms) assert.deepEqual(yamlProblems(block.code), [], at(block));
  });

  it("finds a YAML program's wrong properties and outputs", () => {
    const problems = yamlProblems(`resources:
  vm:
    type: ${PACKAGE}:azure:VmWithReadySsh
    properties:
      location: westeurope
      network:
        publicIP: true
  ready:
    type: ${PACKAGE}:index:SshReady
outputs:
  key: \${vm.hostKeyLine}
`);
    assert.deepEqual(problems, [
      "vm.network: no property publicIP",
      "vm: needs adminUsername",
      `ready: no resource type ${PACKAGE}:index:SshReady`,
      `\${vm.hostKeyLine}: ${PACKAGE}:azure:VmWithReadySsh has no output hostKeyLine`,
    ]);
  });
});
