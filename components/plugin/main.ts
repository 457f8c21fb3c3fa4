// The provider plugin's entry point: serves VmWithReadySshProvider over gRPC and prints its port, as Pulumi's
// engine expects of a plugin. provider/index.js calls it when Pulumi runs the plugin from source.
import * as provider from "@pulumi/pulumi/provider";
import { VmWithReadySshProvider } from "./provider";

/** Starts the plugin; `args` are the engine's (its address first). */
export function serve(args: string[] = process.argv.slice(2)): Promise<void> {
  return provider.main(new VmWithReadySshProvider(), args);
}

if (require.main === module) void serve();
