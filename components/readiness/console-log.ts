// Where a wait reads the VM's console: a serial log file on this machine. Each read takes the file as it is now
// (a running VM's log grows), at most its last MAX_BYTES.
import { open } from "node:fs/promises";
import { printable } from "./printable";

/** A console as read once: its text, or why it could not be had. `source` names it for messages. */
export type ConsoleRead =
  | { source: string; text: string; unavailable?: undefined }
  | { source: string; text?: undefined; unavailable: string };

/** Reads the console once; `signal` ends a read that takes too long (the file's is instant). */
export type ConsoleReader = (signal?: AbortSignal) => Promise<ConsoleRead>;

/** A serial log is read from its end, at most this much: a boot's console is far less. */
export const MAX_BYTES = 4 * 1024 * 1024;

/** Reads the serial log at `path` (its last MAX_BYTES) each time it is called. */
export function serialLogReader(path: string): ConsoleReader {
  const source = `serial log ${printable(path)}`;
  return async () => {
    try {
      const file = await open(path, "r");
      try {
        const { size } = await file.stat();
        const length = Math.min(size, MAX_BYTES);
        const buffer = Buffer.alloc(length);
        await file.read(buffer, 0, length, size - length);
        return { source, text: buffer.toString("utf8") };
      } finally {
        await file.close();
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        code === "ENOENT"
          ? "no such file"
          : code === "EACCES"
            ? "permission denied"
            : code === "EISDIR"
              ? "a directory, not a file"
              : printable((error as Error).message);
      return { source, unavailable: why };
    }
  };
}
