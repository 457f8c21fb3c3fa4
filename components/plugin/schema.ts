// The provider plugin's package schema, as a skeleton: tokens, and each property's type, secrecy and default.
// The build (tools/schema/build.ts) completes it from the TypeScript declarations named in `from` (property
// names, which are required, descriptions) into schema.json, and fails when the two disagree on a name.
// The readiness options' properties come from the readiness spec (components/readiness/spec.ts).
import {
  COMPONENT_READINESS_OPTIONS,
  JUMP_HOST_OPTIONS,
  TOP_LEVEL_OPTIONS,
  type OptionSpec,
  type OptionType,
} from "../readiness/spec";

export const PACKAGE = "vm-with-ready-ssh";
export const SSH_READINESS = `${PACKAGE}:index:SshReadiness`;
export const SSH_KEY_PAIR = `${PACKAGE}:azure:SshKeyPair`;
export const NIC_RELEASE = `${PACKAGE}:azure:NicRelease`;
/** The component's token is the TypeScript class's own: one type, whichever language made it. */
export const VM_WITH_READY_SSH = `${PACKAGE}:azure:VmWithReadySsh`;

/** A property's type as Pulumi's package schema writes it. */
export interface TypeSpec {
  type?: "string" | "number" | "integer" | "boolean" | "array" | "object";
  items?: TypeSpec;
  additionalProperties?: TypeSpec;
  $ref?: string;
  oneOf?: TypeSpec[];
  /** An input that takes a value, never another resource's output (set by the build, see `plainInputs`). */
  plain?: true;
}

export interface PropertySkeleton extends TypeSpec {
  secret?: boolean;
  default?: string | number | boolean;
}

export interface ObjectSkeleton {
  /** The TypeScript interface or class whose members these are (see tools/schema/interfaces.ts). */
  from: string;
  properties: Record<string, PropertySkeleton>;
  /** Members of `from` left out here, each with the reason. */
  leftOut?: Record<string, string>;
  /** Properties only the plugin has. */
  added?: Record<string, PropertySkeleton & { description: string; optional: boolean }>;
  /**
   * The component's inputs and their parts: a property is `plain` where TypeScript takes a value, not a
   * `pulumi.Input` (it decides which children exist, or Azure cannot change it), so every SDK takes one too.
   */
  plainInputs?: true;
}

export interface ResourceSkeleton {
  description: string;
  isComponent?: boolean;
  inputs: ObjectSkeleton;
  outputs: ObjectSkeleton;
}

export interface TypeSkeleton extends ObjectSkeleton {
  description: string;
}

const string: TypeSpec = { type: "string" };
const number: TypeSpec = { type: "number" };
const integer: TypeSpec = { type: "integer" };
const boolean: TypeSpec = { type: "boolean" };
const strings: TypeSpec = { type: "array", items: string };
/** One pin or a list of pins, as in TypeScript. */
const stringOrList: TypeSpec = { oneOf: [string, strings] };
/** Seconds, or a duration string ("15m"). */
const duration: TypeSpec = { oneOf: [number, string] };
const type = (token: string): TypeSpec => ({ $ref: `#/types/${PACKAGE}:${token}` });

/** Each option type of the readiness spec, as the schema writes it. */
const OPTION_TYPES: Record<OptionType, TypeSpec> = {
  host: string,
  port: integer,
  user: string,
  key: string,
  passphrase: string,
  level: string,
  command: string,
  bootId: string,
  pins: stringOrList,
  targetPins: stringOrList,
  duration,
  path: string,
  vmId: string,
  jumpHost: type("index:JumpHost"),
};

/**
 * The schema properties of readiness options, from the spec: the type, secrecy as SshReadiness stores it, and
 * the default where the schema can hold it (a number: a duration's or level's default is the engine's, since a
 * union type or a default that depends on other inputs has no schema default).
 */
export function optionProperties(
  specs: readonly OptionSpec[],
  { secrets }: { secrets: boolean },
): Record<string, PropertySkeleton> {
  return Object.fromEntries(
    specs.map((spec) => [
      spec.name,
      {
        ...OPTION_TYPES[spec.type],
        ...(secrets && spec.secret ? { secret: true } : {}),
        ...(typeof spec.default === "number" ? { default: spec.default } : {}),
      },
    ]),
  );
}

export const TYPES: Record<string, TypeSkeleton> = {
  "index:JumpHost": {
    description: "An SSH bastion the target is reached through (ssh's -J).",
    from: "SshReadinessJumpHost",
    properties: optionProperties(JUMP_HOST_OPTIONS, { secrets: true }),
  },
  "azure:Ssh": {
    plainInputs: true,
    description: "SSH keys of the VM's admin user.",
    from: "VmSshArgs",
    properties: {
      publicKey: string,
      privateKey: { ...string, secret: true },
      passphrase: { ...string, secret: true },
    },
  },
  "azure:Network": {
    plainInputs: true,
    description: "Where the VM sits on the network, and who may reach its port 22.",
    from: "VmNetworkArgs",
    properties: {
      publicIp: { ...boolean, default: false },
      allowedSshSourceCidrs: strings,
      subnetId: string,
      vnetAddressSpace: strings,
      subnetAddressPrefix: string,
      natGateway: boolean,
    },
  },
  "azure:Readiness": {
    plainInputs: true,
    description: "How the VM's readiness check waits (see SshReadiness).",
    from: "VmReadinessArgs",
    properties: optionProperties(COMPONENT_READINESS_OPTIONS, { secrets: false }),
  },
  "azure:OsDisk": {
    plainInputs: true,
    description: "The VM's OS disk, deleted with the VM.",
    from: "VmWithReadySshArgs.osDisk",
    properties: { sizeGb: integer, storageAccountType: string },
  },
  "azure:MarketplaceImage": {
    plainInputs: true,
    description: "A marketplace image.",
    from: "ImageReference#0",
    properties: { publisher: string, offer: string, sku: string, version: string },
  },
  "azure:ImageById": {
    plainInputs: true,
    description: "A custom or gallery image, by its Azure resource ID.",
    from: "ImageReference#1",
    properties: { id: string },
  },
  "azure:Connection": {
    description:
      "What @pulumi/command's remote.Command takes as `connection`, from the readiness check's outputs.",
    from: "VmConnection",
    properties: {
      host: string,
      port: integer,
      user: string,
      privateKey: { ...string, secret: true },
      privateKeyPassword: { ...string, secret: true },
      hostKey: string,
    },
  },
};

/** SshReadiness's inputs: the readiness options of the spec, then its own two. */
const readinessInputs: Record<string, PropertySkeleton> = {
  ...optionProperties(TOP_LEVEL_OPTIONS, { secrets: true }),
  triggers: { type: "array", items: { $ref: "pulumi.json#/Any" } },
  label: string,
};

export const RESOURCES: Record<string, ResourceSkeleton> = {
  [SSH_READINESS]: {
    description:
      "Waits, at creation, until the SSH server at `host` is ready: handshake, verified host key, key login, " +
      "and at level `command` cloud-init done. Its outputs resolve only then, so anything built on them " +
      "depends on real readiness. A refresh does not probe again.",
    inputs: { from: "SshReadinessArgs", properties: readinessInputs },
    outputs: {
      from: "SshReadiness",
      properties: {
        host: string,
        port: integer,
        username: string,
        level: string,
        serverBanner: string,
        hostKey: string,
        hostKeyFingerprint: string,
        knownHostsLine: string,
        readyAt: string,
        waitedMs: number,
        attempts: integer,
        warnings: strings,
        bootId: string,
      },
    },
  },
  [SSH_KEY_PAIR]: {
    description:
      "A key pair generated once, at creation, and kept in the stack's state (the private key a secret).",
    inputs: { from: "SshKeyPairArgs", properties: { comment: string, keyType: string } },
    outputs: {
      from: "SshKeyPair",
      properties: {
        publicKey: string,
        privateKey: { ...string, secret: true },
        fingerprint: string,
      },
    },
  },
  [NIC_RELEASE]: {
    description:
      "The pause between a VM's deletion and its network interface's: Azure keeps a NIC reserved for 180 s " +
      "after its VM is deleted (NicReservedForAnotherVm). VmWithReadySsh makes one; its VM depends on it.",
    inputs: {
      from: "NicReleaseArgs",
      properties: { networkInterfaceId: string, holdSeconds: integer },
    },
    outputs: {
      from: "NicRelease",
      properties: { networkInterfaceId: string, holdSeconds: integer },
    },
  },
  [VM_WITH_READY_SSH]: {
    description:
      "An Azure Linux VM with its network, pinned host keys and a readiness check: `connection` resolves " +
      "only once sshd accepts the key, against the verified host key, with cloud-init done.",
    isComponent: true,
    inputs: {
      from: "VmWithReadySshArgs",
      plainInputs: true,
      properties: {
        location: string,
        resourceGroupName: string,
        adminUsername: string,
        ssh: type("azure:Ssh"),
        hostKeyTrust: { ...string, default: "generated" },
        vmSize: { ...string, default: "Standard_D2s_v5" },
        securityType: string,
        image: { oneOf: [string, type("azure:MarketplaceImage"), type("azure:ImageById")] },
        osDisk: type("azure:OsDisk"),
        computerName: string,
        customData: string,
        network: type("azure:Network"),
        readiness: type("azure:Readiness"),
        sshHost: string,
        frozen: { ...boolean, default: false },
        tags: { type: "object", additionalProperties: string },
      },
    },
    outputs: {
      from: "VmWithReadySshBase",
      properties: {
        vmId: string,
        resourceGroupName: string,
        privateIpAddress: string,
        publicIpAddress: string,
        sshHost: string,
        adminUsername: string,
        ready: { $ref: `#/resources/${SSH_READINESS}` },
        hostKey: string,
        knownHostsLine: string,
        hostPublicKeys: strings,
        connection: { ...type("azure:Connection"), secret: true },
        adminPublicKey: string,
        adminPrivateKey: { ...string, secret: true },
      },
      leftOut: {
        virtualMachine:
          "an azure-native resource, which another language's SDK would need azure-native's own SDK for: " +
          "virtualMachineId gives its ID",
      },
      added: {
        virtualMachineId: {
          ...string,
          optional: false,
          description:
            "The VM's Azure resource ID (for an image capture, or azure-native's VirtualMachine.get).",
        },
      },
    },
  },
};
