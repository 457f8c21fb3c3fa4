// The provider plugin's entry point: serves VmWithReadySshProvider over gRPC and prints its port, as Pulumi's
// engine expects of a plugin. provider/index.js calls it when Pulumi runs the plugin from source.
import * as provider from "@pulumi/pulumi/provider";
import { EngineLog } from "./engine-log";
import { VmWithReadySshProvider } from "./provider";

/** The engine's address among a plugin's arguments, read as the SDK reads them (flags, and --tracing's value, skipped). */
export function engineAddress(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--tracing") i += 1;
    else if (!args[i].startsWith("-")) return args[i];
  }
  return undefined;
}

/** Starts the plugin; `args` are the engine's: its address, where the waits' progress lines are logged. */
export function serve(args: string[] = process.argv.slice(2)): Promise<void> {
  return provider.main(new VmWithReadySshProvider(new EngineLog(engineAddress(args))), args);
}

if (require.main === module) void serve();
