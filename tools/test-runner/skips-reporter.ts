// A node:test reporter that keeps what the run's own summary loses: every skipped suite and test with its
// reason (node counts skipped tests, not skipped suites, and its notices scroll away), and the random order's
// seed. One JSON line each; tools/test-runner/run.ts reads them back at the end of `npm test`.
import type { TestEvent } from "node:test/reporters";
import type { SkipRecord } from "./run";

async function* skipsReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  for await (const event of source) {
    if (event.type === "test:pass" && event.data.skip !== undefined && event.data.skip !== false) {
      const record: SkipRecord = {
        kind: event.data.details.type === "suite" ? "suite" : "test",
        name: event.data.name,
        file: event.data.file,
        reason: typeof event.data.skip === "string" ? event.data.skip : "",
      };
      yield `${JSON.stringify(record)}\n`;
    }
    if (event.type === "test:diagnostic") {
      const seed = /^Randomized test order seed: (\d+)$/.exec(event.data.message)?.[1];
      if (seed) yield `${JSON.stringify({ kind: "seed", seed } satisfies SkipRecord)}\n`;
    }
  }
}

// node:test loads a reporter by its default export: `export =` makes the function the module itself.
export = skipsReporter;
