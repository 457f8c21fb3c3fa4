// A resource monitor and engine on loopback gRPC, in the engine's place when a provider plugin constructs a
// component: they record every registration and log line. Custom resources get outputs as the engine would
// return them after their providers' Create: the VM a vmId, a key pair a real pair (made by this package's own
// provider code), anything else its inputs. Whatever else is asked (invokes, reads) is refused loudly.
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as enginePb from "@pulumi/pulumi/proto/engine_pb";
import { EngineService } from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as resourcePb from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resourceMessages from "@pulumi/pulumi/proto/resource_pb";
import { keyPairProvider } from "../../components/azure/key-pair-provider";
import { SSH_KEY_PAIR } from "../../components/plugin/schema";
import { secretOnWire } from "../../components/plugin/wire";

type Props = Record<string, unknown>;

export interface Registration {
  type: string;
  name: string;
  urn: string;
  custom: boolean;
  parent: string;
  inputs: Props;
  dependencies: string[];
  version: string;
  additionalSecretOutputs: string[];
  replaceOnChanges: string[];
  deleteBeforeReplace: boolean;
  ignoreChanges: string[];
}

/** The features this monitor says it has: the ones construct's results depend on. */
const FEATURES = new Set(["secrets", "resourceReferences"]);

export class RecordingMonitor {
  readonly registrations: Registration[] = [];
  /** Outputs the component registered, by its URN. */
  readonly outputs = new Map<string, Props>();
  readonly logs: { severity: number; message: string }[] = [];
  /** The outputs sent back for each custom resource, in order. */
  readonly outputsSent: { type: string; name: string; outputs: Props }[] = [];
  private readonly server = new grpc.Server();

  private constructor(
    readonly project: string,
    readonly stack: string,
  ) {}

  static async start(
    project = "program",
    stack = "test",
  ): Promise<RecordingMonitor & { address: string; engineAddress: string }> {
    const monitor = new RecordingMonitor(project, stack);
    const refuse = (what: string) => (_call: unknown, callback: grpc.sendUnaryData<never>) =>
      callback(
        { code: grpc.status.UNIMPLEMENTED, details: `the test monitor does not ${what}` },
        null,
      );
    monitor.server.addService(resourcePb.ResourceMonitorService, {
      supportsFeature: (
        call: grpc.ServerUnaryCall<resourceMessages.SupportsFeatureRequest, unknown>,
        callback: grpc.sendUnaryData<resourceMessages.SupportsFeatureResponse>,
      ) => {
        const response = new resourceMessages.SupportsFeatureResponse();
        response.setHassupport(FEATURES.has(call.request.getId()));
        callback(null, response);
      },
      registerResource: (
        call: grpc.ServerUnaryCall<resourceMessages.RegisterResourceRequest, unknown>,
        callback: grpc.sendUnaryData<resourceMessages.RegisterResourceResponse>,
      ) => {
        monitor.register(call.request).then(
          (response) => callback(null, response),
          (error: Error) => callback({ code: grpc.status.INTERNAL, details: error.message }, null),
        );
      },
      registerResourceOutputs: (
        call: grpc.ServerUnaryCall<resourceMessages.RegisterResourceOutputsRequest, unknown>,
        callback: grpc.sendUnaryData<Empty>,
      ) => {
        monitor.outputs.set(
          call.request.getUrn(),
          (call.request.getOutputs()?.toJavaScript() ?? {}) as Props,
        );
        callback(null, new Empty());
      },
      invoke: refuse("invoke functions"),
      readResource: refuse("read resources"),
      call: refuse("call methods"),
    });
    monitor.server.addService(EngineService, {
      log: (
        call: grpc.ServerUnaryCall<enginePb.LogRequest, unknown>,
        callback: grpc.sendUnaryData<Empty>,
      ) => {
        monitor.logs.push({
          severity: call.request.getSeverity(),
          message: call.request.getMessage(),
        });
        callback(null, new Empty());
      },
      getRootResource: (
        _call: unknown,
        callback: grpc.sendUnaryData<enginePb.GetRootResourceResponse>,
      ) => callback(null, new enginePb.GetRootResourceResponse()),
      setRootResource: (
        _call: unknown,
        callback: grpc.sendUnaryData<enginePb.SetRootResourceResponse>,
      ) => callback(null, new enginePb.SetRootResourceResponse()),
    });
    const port = await new Promise<number>((resolve, reject) =>
      monitor.server.bindAsync(
        "127.0.0.1:0",
        grpc.ServerCredentials.createInsecure(),
        (error, p) => (error ? reject(error) : resolve(p)),
      ),
    );
    // One server plays both parts: the engine's address and the monitor's are the same.
    return Object.assign(monitor, {
      address: `127.0.0.1:${port}`,
      engineAddress: `127.0.0.1:${port}`,
    });
  }

  /** The URN the engine gives a resource: its type qualified by its parents' types. */
  urnOf(type: string, name: string, parent: string): string {
    const parentType = parent ? parent.split("::")[2] : "";
    const qualified =
      parentType && !parentType.startsWith("pulumi:pulumi:Stack") ? `${parentType}$${type}` : type;
    return `urn:pulumi:${this.stack}::${this.project}::${qualified}::${name}`;
  }

  private async register(
    request: resourceMessages.RegisterResourceRequest,
  ): Promise<resourceMessages.RegisterResourceResponse> {
    const inputs = (request.getObject()?.toJavaScript() ?? {}) as Props;
    const registration: Registration = {
      type: request.getType(),
      name: request.getName(),
      urn: this.urnOf(request.getType(), request.getName(), request.getParent()),
      custom: request.getCustom(),
      parent: request.getParent(),
      inputs,
      dependencies: request.getDependenciesList(),
      version: request.getVersion(),
      additionalSecretOutputs: request.getAdditionalsecretoutputsList(),
      replaceOnChanges: request.getReplaceonchangesList(),
      deleteBeforeReplace: request.getDeletebeforereplace(),
      ignoreChanges: request.getIgnorechangesList(),
    };
    this.registrations.push(registration);
    const response = new resourceMessages.RegisterResourceResponse();
    response.setUrn(registration.urn);
    if (registration.custom) {
      const outputs = await this.outputsOf(registration);
      this.outputsSent.push({ type: registration.type, name: registration.name, outputs });
      response.setId(typeof outputs.id === "string" ? outputs.id : `${registration.name}-id`);
      response.setObject(Struct.fromJavaScript(outputs as never));
    }
    return response;
  }

  private async outputsOf({ type, name, inputs }: Registration): Promise<Props> {
    if (type === SSH_KEY_PAIR) {
      const outs = (await keyPairProvider.create(inputs)).outs as unknown as Props;
      return { ...outs, privateKey: secretOnWire(outs.privateKey) };
    }
    const azureId = `/subscriptions/0/resourceGroups/rg/providers/${type}/${name}`;
    if (type === "azure-native:compute:VirtualMachine")
      return { ...inputs, id: azureId, vmId: `vm-id-of-${name}` };
    if (type === "azure-native:network:PublicIPAddress")
      return { ...inputs, id: azureId, name, ipAddress: "203.0.113.10" };
    if (type === "azure-native:network:NetworkInterface") {
      const configs = (inputs.ipConfigurations ?? []) as Props[];
      return {
        ...inputs,
        id: azureId,
        name,
        ipConfigurations: configs.map((c) => ({ ...c, privateIPAddress: "10.0.0.4" })),
      };
    }
    if (type.startsWith("azure-native:")) return { ...inputs, id: azureId, name };
    return inputs;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }
}
