// Scratch folders for tests, under the system's temporary directory: each is removed when its test file's process
// exits, whether its tests passed or failed (node's runner gives each test file a process of its own).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made: string[] = [];

/** A new, empty folder whose name starts with `prefix`; gone when this process exits. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (made.length === 0) process.on("exit", removeAll);
  made.push(dir);
  return dir;
}

function removeAll(): void {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
}
