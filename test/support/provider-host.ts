// The real dynamic-provider host shipped in @pulumi/pulumi, started as the Pulumi engine starts it and driven
// over gRPC with the engine's calls and encodings (plain values, unknowns as the sentinel string).
import * as grpc from "@grpc/grpc-js";
import { spawn, type ChildProcess } from "node:child_process";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as providerPb from "@pulumi/pulumi/proto/provider_pb";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";

export const TYPE = "pulumi-nodejs:dynamic/ssh-readiness:SshReadiness";
export const urn = (name: string) => `urn:pulumi:test::vm-with-ready-ssh::${TYPE}::${name}`;

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
  id?: string,
): T {
  request.setUrn(urn(name));
  request.setName(name);
  request.setType(TYPE);
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
    const child = spawn(process.execPath, [entry, "127.0.0.1:1"], {
      cwd,
      env: { ...process.env, PULUMI_NODEJS_PROJECT: project },
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

  private call<Req, Res>(method: string, request: Req): Promise<Res> {
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
    about(request, name);
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
    about(request, name);
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
    about(request, name, id);
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
    about(request, name, id);
    request.setProperties(Struct.fromJavaScript(properties as never));
    const response = await this.call<providerPb.ReadRequest, providerPb.ReadResponse>(
      "read",
      request,
    );
    return { id: response.getId(), properties: response.getProperties()?.toJavaScript() as Props };
  }

  async update(name: string, id: string, olds: Props, news: Props): Promise<Props> {
    const request = new providerPb.UpdateRequest();
    about(request, name, id);
    request.setOlds(Struct.fromJavaScript(olds as never));
    request.setNews(Struct.fromJavaScript(news as never));
    const response = await this.call<providerPb.UpdateRequest, providerPb.UpdateResponse>(
      "update",
      request,
    );
    return response.getProperties()?.toJavaScript() as Props;
  }

  async delete(name: string, id: string, properties: Props): Promise<void> {
    const request = new providerPb.DeleteRequest();
    about(request, name, id);
    request.setProperties(Struct.fromJavaScript(properties as never));
    await this.call("delete", request);
  }

  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once("exit", () => resolve());
      this.child.kill();
    });
  }
}
