// Pulumi's own mocks: resources register with a fake engine that records their inputs; no cloud, no CLI.
import * as pulumi from "@pulumi/pulumi";

export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface Registered {
  type: string;
  name: string;
  custom: boolean;
  inputs: Record<string, unknown>;
}

/** Installs mocks that record each registered resource and echo its inputs as its state. */
export async function installMocks(options: { preview?: boolean } = {}): Promise<Registered[]> {
  const registered: Registered[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({
          type: args.type,
          name: args.name,
          custom: args.custom ?? false,
          inputs: args.inputs,
        });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: () => {
        throw new Error("not implemented: no test calls a provider function");
      },
    },
    "vm-with-ready-ssh",
    "test",
    options.preview ?? false,
  );
  return registered;
}

/** An Output's value (resolves once the mock engine has registered the resource). */
export function value<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** True when a registered input value is marked secret. */
export function isSecret(input: unknown): input is { value: unknown } {
  return (
    typeof input === "object" &&
    input !== null &&
    (input as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG
  );
}

export interface Registration {
  urn: string;
  type: string;
  name: string;
  /** URNs this resource depends on, as the SDK registered them: dependsOn and the resources its inputs came from. */
  dependencies: string[];
  /** The lifecycle options as registered. */
  replaceOnChanges: string[];
  deleteBeforeReplace: boolean;
  ignoreChanges: string[];
  retainOnDelete: boolean;
}

/**
 * Records each resource's registered dependencies. Pulumi's mocks do not pass them to `newResource`, so this
 * wraps the mock monitor's registerResource and reads them from the request the SDK sent.
 */
export function recordRegistrations(): Registration[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor: () => unknown };
  const monitor = settings.getMonitor() as {
    registerResource: (
      req: RegisterRequest,
      callback: (err: unknown, res?: { getUrn(): string }) => void,
    ) => void;
  };
  const registrations: Registration[] = [];
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) =>
    original(req, (err, res) => {
      if (!err && res) {
        registrations.push({
          urn: res.getUrn(),
          type: req.getType(),
          name: req.getName(),
          dependencies: req.getDependenciesList(),
          replaceOnChanges: req.getReplaceonchangesList(),
          deleteBeforeReplace: req.getDeletebeforereplace(),
          ignoreChanges: req.getIgnorechangesList(),
          retainOnDelete: req.getRetainondelete() ?? false,
        });
      }
      callback(err, res);
    });
  return registrations;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getDependenciesList(): string[];
  getReplaceonchangesList(): string[];
  getDeletebeforereplace(): boolean;
  getIgnorechangesList(): string[];
  getRetainondelete(): boolean | undefined;
}
