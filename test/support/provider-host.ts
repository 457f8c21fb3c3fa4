// A provider plugin started as the Pulumi engine starts it and driven over gRPC with the engine's calls and
// encodings: the real dynamic-provider host shipped in @pulumi/pulumi (plain values, unknowns as the sentinel
// string), or this package's provider plugin run by the SDK's own plugin runner, as the Node language host runs
// a plugin from source.
import * as grpc from "@grpc/grpc-js";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { PluginInfo } from "@pulumi/pulumi/proto/plugin_pb";
import * as providerPb from "@pulumi/pulumi/proto/provider_pb";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import { SSH_READINESS } from "../../components/plugin/schema";

/** The dynamic resource's type, as the dynamic-provider host sees it. */
export const TYPE = "pulumi-nodejs:dynamic/ssh-readiness:SshReadiness";
export const urn = (name: string, type = TYPE) =>
  `urn:pulumi:test::vm-with-ready-ssh::${type}::${name}`;

type Props = Record<string, unknown>;

interface ResourceRequest {
  setUrn(value: string): unknown;
  setName(value: string): unknown;
  setType(value: string): unknown;
}

/** Fills in what every resource request carries, as the engine does: URN, name, type (and the ID). */
function about<T extends ResourceRequest & { setId?: (id: string) => unknown }>(
  request: T,
  name: string,
  type: string,
  id?: string,
): T {
  request.setUrn(urn(name, type));
  request.setName(name);
  request.setType(type);
  if (id !== undefined) request.setId?.(id);
  return request;
}

function eachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    lines.forEach(onLine);
  });
}

export class ProviderHost {
  /** The type every resource call names; set it for a plugin that serves several. */
  type = TYPE;

  private constructor(
    private readonly child: ChildProcess,
    readonly client: ResourceProviderClient,
    /** Every line the host printed after its port, stdout and stderr alike. */
    readonly lines: string[],
  ) {}

  /** Starts `node <@pulumi/pulumi>/cmd/dynamic-provider <engine>` in `cwd` and connects to the port it prints. */
  static async start(cwd: string, project = "vm-with-ready-ssh"): Promise<ProviderHost> {
    const entry = require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [cwd] });
    // The engine address is required but never used by the host.
    return ProviderHost.spawn([entry, "127.0.0.1:1"], cwd, { PULUMI_NODEJS_PROJECT: project });
  }

  /**
   * Starts a plugin from source as Pulumi's Node language host does (RunPlugin): `node <@pulumi/pulumi>/cmd/
   * run-plugin <plugin folder> <engine address>` in the program's directory `cwd`.
   */
  static async startPlugin(
    pluginDir: string,
    cwd: string,
    engineAddress = "127.0.0.1:1",
  ): Promise<ProviderHost> {
    const entry = require.resolve("@pulumi/pulumi/cmd/run-plugin", { paths: [pluginDir] });
    return ProviderHost.spawn([entry, pluginDir, engineAddress], cwd, {});
  }

  /**
   * This repository's provider plugin, from source, in a program directory of its own without node_modules (the
   * plugin finds everything from its folder), serving SshReadiness calls.
   */
  static async startReadinessPlugin(): Promise<ProviderHost> {
    const repo = join(__dirname, "../../..");
    const program = mkdtempSync(join(tmpdir(), "ssh-ready-program-"));
    const plugin = await ProviderHost.startPlugin(join(repo, "provider"), program);
    plugin.type = SSH_READINESS;
    plugin.scratch = program;
    return plugin;
  }

  private static async spawn(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    const port = await new Promise<number>((resolve, reject) => {
      let sawPort = false;
      eachLine(child.stdout!, (line) => {
        if (sawPort) {
          lines.push(line);
        } else {
          sawPort = true;
          resolve(Number(line));
        }
      });
      eachLine(child.stderr!, (line) => lines.push(line));
      child.once("exit", (code) =>
        reject(new Error(`provider host exited (${code}): ${lines.join("\n")}`)),
      );
    });
    const client = new ResourceProviderClient(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    );
    return new ProviderHost(child, client, lines);
  }

  call<Req, Res>(method: string, request: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
      const fn = (
        this.client as unknown as Record<
          string,
          (r: Req, cb: (e: grpc.ServiceError | null, r: Res) => void) => void
        >
      )[method];
      fn.call(this.client, request, (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }

  /** The version the plugin reports (GetPluginInfo). */
  async pluginVersion(): Promise<string> {
    const info = await this.call<Empty, PluginInfo>("getPluginInfo", new Empty());
    return info.getVersion();
  }

  /** The package schema the plugin serves (GetSchema), parsed. */
  async schema(): Promise<Record<string, unknown>> {
    const response = await this.call<providerPb.GetSchemaRequest, providerPb.GetSchemaResponse>(
      "getSchema",
      new providerPb.GetSchemaRequest(),
    );
    return JSON.parse(response.getSchema()) as Record<string, unknown>;
  }

  configure(config: Record<string, string> = {}): Promise<providerPb.ConfigureResponse> {
    const request = new providerPb.ConfigureRequest();
    request.setArgs(Struct.fromJavaScript(config as never));
    request.setAcceptsecrets(true);
    request.setAcceptresources(true);
    return this.call("configure", request);
  }

  async check(
    name: string,
    olds: Props,
    news: Props,
  ): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
    const request = new providerPb.CheckRequest();
    about(request, name, this.type);
    request.setOlds(Struct.fromJavaScript(olds as never));
    request.setNews(Struct.fromJavaScript(news as never));
    const response = await this.call<providerPb.CheckRequest, providerPb.CheckResponse>(
      "check",
      request,
    );
    return {
      inputs: response.getInputs()?.toJavaScript() as Props,
      failures: response
        .getFailuresList()
        .map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async create(name: string, properties: Props): Promise<{ id: string; properties: Props }> {
    const request = new providerPb.CreateRequest();
    about(request, name, this.type);
    request.setProperties(Struct.fromJavaScript(properties as never));
    request.setTimeout(60);
    const response = await this.call<providerPb.CreateRequest, providerPb.CreateResponse>(
      "create",
      request,
    );
    return { id: response.getId(), properties: response.getProperties()?.toJavaScript() as Props };
  }

  async diff(
    name: string,
    id: string,
    olds: Props,
    news: Props,
  ): Promise<{ changes: string; replaces: string[]; deleteBeforeReplace: boolean }> {
    const request = new providerPb.DiffRequest();
    about(request, name, this.type, id);
    request.setOlds(Struct.fromJavaScript(olds as never));
    request.setNews(Struct.fromJavaScript(news as never));
    const response = await this.call<providerPb.DiffRequest, providerPb.DiffResponse>(
      "diff",
      request,
    );
    const names = Object.entries(providerPb.DiffResponse.DiffChanges);
    return {
      changes: names.find(([, v]) => v === response.getChanges())?.[0] ?? "?",
      replaces: response.getReplacesList(),
      deleteBeforeReplace: response.getDeletebeforereplace(),
    };
  }

  async read(
    name: string,
    id: string,
    properties: Props,
  ): Promise<{ id: string; properties: Props }> {
    const request = new providerPb.ReadRequest();
    about(request, name, this.type, id);
    request.setProperties(Struct.fromJavaScript(properties as never));
    const response = await this.call<providerPb.ReadRequest, providerPb.ReadResponse>(
      "read",
      request,
    );
    return { id: response.getId(), properties: response.getProperties()?.toJavaScript() as Props };
  }

  async update(name: string, id: string, olds: Props, news: Props): Promise<Props> {
    const request = new providerPb.UpdateRequest();
    about(request, name, this.type, id);
    request.setOlds(Struct.fromJavaScript(olds as never));
    request.setNews(Struct.fromJavaScript(news as never));
    const response = await this.call<providerPb.UpdateRequest, providerPb.UpdateResponse>(
      "update",
      request,
    );
    return response.getProperties()?.toJavaScript() as Props;
  }

  /** Cancel, as the engine sends it to every provider at the user's first Ctrl-C. */
  async cancel(): Promise<void> {
    await this.call("cancel", new Empty());
  }

  async delete(name: string, id: string, properties: Props): Promise<void> {
    const request = new providerPb.DeleteRequest();
    about(request, name, this.type, id);
    request.setProperties(Struct.fromJavaScript(properties as never));
    await this.call("delete", request);
  }

  /**
   * Construct, as the engine asks a plugin to make a component: the program's project and stack, the monitor
   * to register children with, the inputs (plain values and secrets marked, as an engine sends them).
   */
  async construct(
    monitor: { address: string; project: string; stack: string },
    type: string,
    name: string,
    inputs: Props,
  ): Promise<{ urn: string; state: Props }> {
    const request = new providerPb.ConstructRequest();
    request.setProject(monitor.project);
    request.setStack(monitor.stack);
    request.setMonitorendpoint(monitor.address);
    request.setDryrun(false);
    request.setParallel(4);
    request.setType(type);
    request.setName(name);
    request.setInputs(Struct.fromJavaScript(inputs as never));
    const response = await this.call<providerPb.ConstructRequest, providerPb.ConstructResponse>(
      "construct",
      request,
    );
    return { urn: response.getUrn(), state: response.getState()?.toJavaScript() as Props };
  }

  /** A folder this host was started in and removes when it stops. */
  private scratch: string | undefined;

  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode === null) {
      await new Promise<void>((resolve) => {
        this.child.once("exit", () => resolve());
        this.child.kill();
      });
    }
    if (this.scratch) rmSync(this.scratch, { recursive: true, force: true });
  }
}
