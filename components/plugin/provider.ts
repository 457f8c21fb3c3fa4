// The provider plugin: SshReadiness and SshKeyPair as custom resources and VmWithReadySsh as a component, for
// programs in any language Pulumi supports. A thin layer over the dynamic providers' own methods (the same
// checks, diffs, waits and messages); what it adds is the wire: secrets in and out, types by URN, the schema.
import { InvalidOptionError } from "../readiness/errors";
import { decryptPrivateKey } from "../readiness/keys";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { VmWithReadySshArgs } from "../azure/args";
import { keyPairProvider } from "../azure/key-pair-provider";
import { nicReleaseProviderOnSystemClock } from "../azure/nic-release-provider";
import { withRecord, type ReadinessInputs } from "../ssh-readiness/inputs";
import { createReadiness, sshReadinessProvider } from "../ssh-readiness/provider";
import { PluginVmWithReadySsh } from "./resources";
import { NIC_RELEASE, SSH_KEY_PAIR, SSH_READINESS, VM_WITH_READY_SSH } from "./schema";
import { PLUGIN_VERSION } from "./version";
import { EngineLog } from "./engine-log";
import { markSecrets, reveal, secretPaths } from "./wire";

type Props = Record<string, unknown>;

interface Served {
  methods: dynamic.ResourceProvider;
  /** Outputs that are secret whatever the inputs (SshKeyPair's privateKey). */
  secretOutputs: readonly string[];
}

const SERVED: Record<string, Served> = {
  [SSH_READINESS]: { methods: sshReadinessProvider as dynamic.ResourceProvider, secretOutputs: [] },
  [SSH_KEY_PAIR]: {
    methods: keyPairProvider as dynamic.ResourceProvider,
    secretOutputs: ["privateKey"],
  },
  [NIC_RELEASE]: {
    methods: nicReleaseProviderOnSystemClock as dynamic.ResourceProvider,
    secretOutputs: [],
  },
};

/** The type token in a URN (`urn:pulumi:stack::project::parent$type::name`). */
export function typeOf(urn: string): string {
  return urn.split("::")[2]?.split("$").pop() ?? "";
}

function served(urn: string): Served {
  const type = typeOf(urn);
  const found = SERVED[type];
  if (!found) throw new Error(`vm-with-ready-ssh has no resource type ${type}`);
  return found;
}

export class VmWithReadySshProvider implements provider.Provider {
  readonly version = PLUGIN_VERSION;
  /** Aborted by the engine's Cancel (the user's Ctrl-C): every wait in progress ends at once. */
  private readonly cancelled = new AbortController();

  /** `log` takes the waits' progress lines to the engine (see EngineLog). */
  constructor(private readonly log: EngineLog = new EngineLog(undefined)) {}

  /** The engine asks every provider to stop what it is doing (the first Ctrl-C of `pulumi up`). */
  async cancel(): Promise<void> {
    this.cancelled.abort();
  }

  async getSchema(): Promise<string> {
    return readFileSync(join(__dirname, "schema.json"), "utf8");
  }

  /**
   * The dynamic provider's check on the revealed inputs; the inputs go back with their secret marks. A
   * readiness label defaults to the resource's name, as SshReadiness's does.
   */
  async check(urn: string, olds: Props, given: Props): Promise<provider.CheckResult> {
    const { methods } = served(urn);
    const news =
      typeOf(urn) === SSH_READINESS && given.label === undefined
        ? { ...given, label: urn.split("::").pop() }
        : given;
    if (!methods.check) return { inputs: news };
    const result = await methods.check(reveal(olds), reveal(news));
    const recorded = (result.inputs as Props | undefined)?.__recorded;
    return { inputs: withRecord(news, recorded), failures: result.failures };
  }

  async diff(id: string, urn: string, olds: Props, news: Props): Promise<provider.DiffResult> {
    const { methods } = served(urn);
    const result = await methods.diff!(id, reveal(olds), reveal(news));
    return {
      changes: result.changes,
      replaces: result.replaces,
      deleteBeforeReplace: result.deleteBeforeReplace,
    };
  }

  async create(urn: string, inputs: Props): Promise<provider.CreateResult> {
    const { methods, secretOutputs } = served(urn);
    // The wait prints progress: it must know which inputs were secret, which only the wire tells; and it
    // ends when the engine cancels.
    const { id, outs } =
      typeOf(urn) === SSH_READINESS
        ? await createReadiness(
            { ...reveal(inputs), __secretInputs: secretPaths(inputs) } as ReadinessInputs,
            { signal: this.cancelled.signal, print: (line) => this.log.info(urn, line) },
          )
        : await methods.create(reveal(inputs));
    return { id, outs: markSecrets(outs as Props, [inputs], secretOutputs) };
  }

  /** Refresh gives the state back as it is, secret marks and all: it never probes (see SshReadiness). */
  async read(id: string, urn: string, props: Props): Promise<provider.ReadResult> {
    served(urn);
    return { id, props };
  }

  async update(id: string, urn: string, olds: Props, news: Props): Promise<provider.UpdateResult> {
    const { methods, secretOutputs } = served(urn);
    const { outs } = await methods.update!(id, reveal(olds), reveal(news));
    return { outs: markSecrets(outs as Props, [olds, news], secretOutputs) };
  }

  async delete(_id: string, urn: string): Promise<void> {
    served(urn);
  }

  async construct(
    name: string,
    type: string,
    inputs: pulumi.Inputs,
    options: pulumi.ComponentResourceOptions,
  ): Promise<provider.ConstructResult> {
    if (type !== VM_WITH_READY_SSH) throw new Error(`vm-with-ready-ssh has no component ${type}`);
    const args = await componentArgs(inputs);
    await decryptComponentKeys(args);
    const vm = new PluginVmWithReadySsh(name, args, options);
    return {
      urn: vm.urn,
      state: {
        vmId: vm.vmId,
        virtualMachineId: vm.virtualMachine.id,
        resourceGroupName: vm.resourceGroupName,
        privateIpAddress: vm.privateIpAddress,
        publicIpAddress: vm.publicIpAddress,
        sshHost: vm.sshHost,
        adminUsername: vm.adminUsername,
        ready: vm.ready,
        hostKey: vm.hostKey,
        knownHostsLine: vm.knownHostsLine,
        hostPublicKeys: vm.hostPublicKeys,
        connection: vm.connection,
        adminPublicKey: vm.adminPublicKey,
        adminPrivateKey: vm.adminPrivateKey,
      },
    };
  }
}

/** What the SDK's Output is at run time (its `isKnown` and `promise` are not in its declarations). */
interface RuntimeOutput {
  isKnown: Promise<boolean>;
  promise(): Promise<unknown>;
  apply<U>(fn: (value: unknown) => U): pulumi.Output<U>;
}

const isOutput = (value: unknown): value is RuntimeOutput => pulumi.Output.isInstance(value);

/**
 * The value of an argument the component needs as a plain value (it decides which children exist, or Azure
 * cannot change it): Outputs resolved at any depth. One that is not known yet (another resource's output
 * during preview) cannot be used: the message names it.
 */
async function plain(value: unknown, path: string): Promise<unknown> {
  if (isOutput(value)) {
    if (!(await value.isKnown))
      throw new InvalidOptionError(
        path,
        `must be known when the program runs (a value, not the output of a resource that is not created yet)`,
      );
    return plain(await value.promise(), path);
  }
  if (Array.isArray(value))
    return Promise.all(value.map((item, i) => plain(item, `${path}[${i}]`)));
  if (typeof value === "object" && value !== null) {
    const entries = await Promise.all(
      Object.entries(value).map(async ([key, item]) => [key, await plain(item, `${path}.${key}`)]),
    );
    return Object.fromEntries(entries);
  }
  return value;
}

/**
 * An object argument whose `plainKeys` must be plain values and whose other properties stay Inputs. Arriving
 * as one Output (a secret, or with dependencies), each Input property keeps its secrecy and dependencies.
 */
async function object(
  value: unknown,
  path: string,
  plainKeys: readonly string[],
): Promise<Props | undefined> {
  if (value === undefined) return undefined;
  const whole: unknown = isOutput(value) ? await plain(value, path) : value;
  if (typeof whole !== "object" || whole === null || Array.isArray(whole))
    throw new InvalidOptionError(path, `must be an object`);
  const result: Props = {};
  for (const [key, item] of Object.entries(whole)) {
    if (plainKeys.includes(key)) result[key] = await plain(item, `${path}.${key}`);
    else result[key] = isOutput(value) ? value.apply((o) => (o as Props)?.[key]) : item;
  }
  return result;
}

/**
 * The component's encrypted keys decrypted in a worker thread (keys.ts) before it parses them: the plugin keeps
 * answering the engine meanwhile. A key not known yet is left to the component.
 */
async function decryptComponentKeys(args: VmWithReadySshArgs): Promise<void> {
  const known = async (value: unknown) =>
    isOutput(value) ? ((await value.isKnown) ? value.promise() : undefined) : value;
  const jump = await known(args.readiness?.jumpHost);
  const pairs = [args.ssh, typeof jump === "object" && jump !== null ? jump : undefined];
  await Promise.all(
    pairs.map(async (pair) => {
      const { privateKey, passphrase } = (pair ?? {}) as Record<string, unknown>;
      await decryptPrivateKey(await known(privateKey), await known(passphrase));
    }),
  );
}

/** Plain values where VmWithReadySsh's arguments say so (see VmWithReadySshArgs); Inputs elsewhere. */
async function componentArgs(inputs: pulumi.Inputs): Promise<VmWithReadySshArgs> {
  const args: Props = { ...inputs };
  for (const key of [
    "adminUsername",
    "hostKeyTrust",
    "securityType",
    "image",
    "computerName",
    "customData",
    "frozen",
  ]) {
    if (args[key] !== undefined) args[key] = await plain(args[key], key);
  }
  args.network = await object(args.network, "network", [
    "publicIp",
    "allowedSshSourceCidrs",
    "vnetAddressSpace",
    "subnetAddressPrefix",
    "natGateway",
  ]);
  args.osDisk = await object(args.osDisk, "osDisk", ["sizeGb"]);
  args.readiness = await object(args.readiness, "readiness", ["level"]);
  args.ssh = await object(args.ssh, "ssh", []);
  for (const key of Object.keys(args)) if (args[key] === undefined) delete args[key];
  return args as unknown as VmWithReadySshArgs;
}
