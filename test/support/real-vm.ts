// What the real-boot tests do on and to a VM of tools/real-vm: the component's data for it (component-data.ts),
// logins with OpenSSH's own client against the pinned host keys,
// the host keys sshd serves, and a search of a raw disk for what must not be on it.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { RealVm } from "../../tools/real-vm/vm";
export { componentData, type ComponentData } from "./component-data";

const run = promisify(execFile);

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Logins to a VM with OpenSSH's client, verifying the host key against the given pins. */
export class Login {
  private readonly dir = mkdtempSync(join(tmpdir(), "ssh-ready-login-"));

  constructor(
    readonly address: string,
    readonly user: string,
    privateKey: string,
    pins: string[],
  ) {
    writeFileSync(join(this.dir, "key"), privateKey, { mode: 0o600 });
    writeFileSync(
      join(this.dir, "known_hosts"),
      pins.map((pin) => `${address} ${pin.split(" ").slice(0, 2).join(" ")}\n`).join(""),
    );
  }

  /** Runs `command` on the VM; `input` goes to its stdin. Resolves with its exit code and output. */
  run(command: string, input?: string): Promise<Ran> {
    const child = spawn(
      "ssh",
      [
        ...[
          "-i",
          join(this.dir, "key"),
          "-o",
          `UserKnownHostsFile=${join(this.dir, "known_hosts")}`,
        ],
        ...["-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"],
        ...["-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR", "-F", "/dev/null"],
        `${this.user}@${this.address}`,
        command,
      ],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.stdin.end(input);
    return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  }

  /** Like `run`, but rejects with its output when the command fails. */
  async ok(command: string, input?: string): Promise<string> {
    const ran = await this.run(command, input);
    if (ran.code !== 0)
      throw new Error(
        `\`${command}\` on ${this.address} exited ${ran.code}: ${ran.stderr}${ran.stdout}`,
      );
    return ran.stdout;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The host keys sshd at `address` serves, "type base64", by type (ssh-keyscan: read, not verified). */
export async function hostKeys(address: string): Promise<Record<string, string>> {
  const { stdout } = await run("ssh-keyscan", ["-t", "rsa,ecdsa,ed25519", "-T", "20", address]);
  return Object.fromEntries(
    stdout
      .split("\n")
      .filter((line) => line && !line.startsWith("#"))
      .map((line) => line.split(" ").slice(1, 3))
      .map(([type, key]) => [type, `${type} ${key}`]),
  );
}

/** "type base64" of a public key line, by type. */
export function byType(lines: string[]): Record<string, string> {
  return Object.fromEntries(
    lines.map((line) => line.trim().split(" ")).map(([type, key]) => [type, `${type} ${key}`]),
  );
}

/** The base64 body of each private key (PEM) in `text`: what a leaked key file or a copy of it holds. */
export function privateKeyBodies(text: string): string[] {
  const bodies: string[] = [];
  const pem = /-----BEGIN ([A-Z ]+)-----\n([\s\S]*?)-----END \1-----/g;
  // In the custom data the keys are indented YAML block scalars: take the lines without their indent.
  const plain = text.replace(/^[ \t]+/gm, "");
  for (const match of plain.matchAll(pem)) bodies.push(match[2]);
  return bodies;
}

/** Every run of `size` bytes in `texts` that holds no line break: one pattern each for a fixed-string search. */
export function windows(texts: string[], size = 32): string[] {
  const found = new Set<string>();
  for (const text of texts)
    for (const line of text.split("\n"))
      for (let at = 0; at + size <= line.length; at++) found.add(line.slice(at, at + size));
  return [...found];
}

/**
 * The patterns found in a raw disk image (every byte of it, deleted blocks included), overlapping ones too: GNU
 * grep's fixed-string search picks the NUL-separated records that hold any (free blocks are zeros, so records
 * stay short), then each pattern is looked for in those.
 */
export async function foundOnDisk(disk: string, patterns: string[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "ssh-ready-scan-"));
  try {
    writeFileSync(join(dir, "patterns"), patterns.join("\n") + "\n");
    const { stdout } = await run(
      "sh",
      [
        "-c",
        'LC_ALL=C grep -a -z -F -f "$1" "$2"; [ $? -le 1 ]',
        "scan",
        join(dir, "patterns"),
        disk,
      ],
      { maxBuffer: 256 * 1024 * 1024, encoding: "latin1" },
    );
    const records = stdout.split("\0").filter(Boolean);
    return patterns.filter((pattern) => records.some((record) => record.includes(pattern)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface SshReadyRun extends Ran {
  /** When it exited (performance.now()). */
  at: number;
}

/**
 * Runs the ssh-ready command against a VM at level command, with the key in `keyFile` and the component's pins,
 * as a pipeline would. Resolves when it exits.
 */
export function sshReadyOnVm(
  vm: RealVm,
  keyFile: string,
  pins: string[],
  timeoutSeconds: number,
  extra: string[] = [],
  /** Called with each piece of its stderr as it comes (its progress lines). */
  onStderr?: (text: string) => void,
): Promise<SshReadyRun> {
  const bin = resolve(__dirname, "../../../bin/ssh-ready.js");
  // The VM's console goes with every wait: a real boot that fails in CI says why in the wait's own message.
  const args = [bin, `azureuser@${vm.address}`, "-i", keyFile, "--level", "command"];
  args.push("--serial-log", vm.serialLog);
  args.push(...pins.flatMap((pin) => ["--host-key-pin", pin]), "--timeout", `${timeoutSeconds}s`);
  args.push(...extra);
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
    onStderr?.(c);
  });
  return new Promise((done) =>
    child.on("close", (code) => done({ code, stdout, stderr, at: performance.now() })),
  );
}
