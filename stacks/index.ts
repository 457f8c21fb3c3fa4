// The Pulumi program of this project: one entry for the three stacks (Pulumi.yaml's `main`). The stack's
// `program` setting, or else its name, picks dev, image or local.
import { stackConfig } from "./config";
import { devProgram } from "./dev";
import { imageProgram } from "./image";
import { localProgram } from "./local";

const programs: Record<string, () => Record<string, unknown>> = {
  dev: devProgram,
  image: imageProgram,
  local: localProgram,
};

const { program } = stackConfig();
const run = programs[program];
if (!run) {
  throw new Error(
    `stack config "program" (or the stack's name) must be one of ${Object.keys(programs).join(", ")}, got "${program}"`,
  );
}

// The program's stack outputs.
export = run();
