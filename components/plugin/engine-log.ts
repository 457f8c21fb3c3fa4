// The plugin's progress lines, sent to the engine's log under the resource's URN. `pulumi up` does not show what
// a provider plugin prints (measured with the real CLI), but it shows the engine's log, under the resource.
import { createRequire } from "node:module";
import type * as grpc from "@grpc/grpc-js";
import { EngineClient } from "@pulumi/pulumi/proto/engine_grpc_pb";
import { LogRequest, LogSeverity } from "@pulumi/pulumi/proto/engine_pb";

/** gRPC as the Pulumi SDK loads it: the same copy its generated clients use. */
function sdkGrpc(): typeof grpc {
  return createRequire(require.resolve("@pulumi/pulumi/package.json"))(
    "@grpc/grpc-js",
  ) as typeof grpc;
}

export class EngineLog {
  private client?: EngineClient;
  /** Lines go out one after another, in order. */
  private last: Promise<void> = Promise.resolve();
  private unreachable = false;

  /** `address` is the engine's, as the engine gives it to a plugin it starts (its first argument). */
  constructor(private readonly address: string | undefined) {}

  /**
   * Logs `line` as information about the resource `urn`. A line the engine does not take (no engine, or an
   * engine that is gone) is printed on stdout instead, so it is never lost.
   */
  info(urn: string, line: string): void {
    this.last = this.last.then(() =>
      this.send(urn, line).catch(() => {
        // Once the engine refuses a line, the next ones go to stdout at once, in order.
        this.unreachable = true;
        console.log(line);
      }),
    );
  }

  private send(urn: string, line: string): Promise<void> {
    if (!this.address || this.unreachable) return Promise.reject(new Error("no engine"));
    const grpcModule = sdkGrpc();
    this.client ??= new EngineClient(this.address, grpcModule.credentials.createInsecure());
    const request = new LogRequest()
      .setSeverity(LogSeverity.INFO)
      .setMessage(line)
      .setUrn(urn)
      .setStreamid(0)
      .setEphemeral(false);
    return new Promise((resolve, reject) =>
      this.client!.log(request, (error) => (error ? reject(error) : resolve())),
    );
  }

  close(): void {
    this.client?.close();
  }
}
