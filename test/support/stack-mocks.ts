// Runs a stack program under Pulumi's mocks with the given stack config, recording each resource's inputs
// and registered dependencies.
import * as pulumi from "@pulumi/pulumi";
import { mockState } from "./azure-mocks";
import { recordRegistrations, type Registered, type Registration } from "./pulumi-mocks";

export interface StackRun {
  registered: Registered[];
  registrations: Registration[];
  byName(name: string): Registered;
  registration(name: string): Registration;
  /** True when `name` depends on `on`, directly or through other resources. */
  dependsOn(name: string, on: string): boolean;
}

/**
 * Outputs of this project's dynamic resources (key pairs, build stamps) by resource name, kept from one run to
 * the next as a stack's state keeps them: a second `pulumi up` does not make new keys or stamps.
 */
export type KeptState = Map<string, Record<string, unknown>>;
const KEPT_TYPES = [
  "pulumi-nodejs:dynamic/ssh-key-pair:SshKeyPair",
  "pulumi-nodejs:dynamic/build-stamp:BuildStamp",
];

export async function mockStack(
  stack: string,
  config: Record<string, string>,
  kept?: KeptState,
): Promise<StackRun> {
  const registered: Registered[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: async (args) => {
        registered.push({
          type: args.type,
          name: args.name,
          custom: args.custom ?? false,
          inputs: args.inputs,
        });
        const stateful = KEPT_TYPES.includes(args.type);
        const state =
          (stateful ? kept?.get(args.name) : undefined) ??
          (await mockState(args.type, args.name, args.inputs));
        if (stateful) kept?.set(args.name, state);
        return { id: `/subscriptions/sub/${args.name}`, state };
      },
      call: () => {
        throw new Error("not implemented: no stack calls a provider function");
      },
    },
    "vm-with-ready-ssh",
    stack,
  );
  pulumi.runtime.setAllConfig(
    Object.fromEntries(
      Object.entries(config).map(([key, value]) => [`vm-with-ready-ssh:${key}`, value]),
    ),
  );
  const registrations = recordRegistrations();
  const find = <T extends { name: string }>(list: T[], name: string): T => {
    const found = list.find((r) => r.name === name);
    if (!found)
      throw new Error(`${name} is not registered (have: ${list.map((r) => r.name).join(", ")})`);
    return found;
  };
  const run: StackRun = {
    registered,
    registrations,
    byName: (name) => find(registered, name),
    registration: (name) => find(registrations, name),
    dependsOn(name, on) {
      const target = find(registrations, on).urn;
      const seen = new Set<string>();
      const walk = (urn: string): boolean => {
        if (seen.has(urn)) return false;
        seen.add(urn);
        const deps = registrations.find((r) => r.urn === urn)?.dependencies ?? [];
        return deps.includes(target) || deps.some(walk);
      };
      return walk(find(registrations, name).urn);
    },
  };
  return run;
}

/** Waits until every output of a program's result has resolved (so every resource is registered). */
export async function settle(outputs: Record<string, unknown>): Promise<void> {
  await Promise.all(
    Object.values(outputs).map(
      (o) =>
        new Promise((resolve) => (pulumi.Output.isInstance(o) ? o.apply(resolve) : resolve(o))),
    ),
  );
}
