// Servers that are not (yet) a working sshd, each reproducing one failure class for real on loopback.
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { Server as SshServer, type ServerConfig, type Connection } from "ssh2";
import { unbound } from "../../components/readiness/session";
import { ed25519 } from "./keys";

export interface Listening {
  port: number;
  /** Connections accepted so far. */
  connections: () => number;
  /** Connections still open. */
  open: () => number;
  close: () => Promise<void>;
}

async function listen(server: net.Server | http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as net.AddressInfo).port;
}

function tracked(server: net.Server | http.Server, port: number): Listening {
  let count = 0;
  const sockets = new Set<net.Socket>();
  server.on("connection", (socket: net.Socket) => {
    count += 1;
    sockets.add(socket);
    // A client that is killed resets the connection: that is what these servers are for, not an error.
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
  });
  return {
    port,
    connections: () => count,
    open: () => sockets.size,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Accepts and never says a word: an sshd hanging before its banner. */
export async function silentServer(): Promise<Listening> {
  // Reads (and drops) what the client sends, so it sees the client close.
  const server = net.createServer((socket) => socket.resume());
  return tracked(server, await listen(server));
}

/** Accepts and closes at once: sshd dropping connections (MaxStartups, starting up). */
export async function closingServer(): Promise<Listening> {
  const server = net.createServer((socket) => socket.destroy());
  return tracked(server, await listen(server));
}

/** Sends an SSH banner, then nothing: a server stuck in the key exchange. */
export async function stallingServer(): Promise<Listening> {
  const server = net.createServer((socket) =>
    socket.resume().write("SSH-2.0-OpenSSH_9.6 stalled\r\n"),
  );
  return tracked(server, await listen(server));
}

/** An HTTP server on the port: answers the client's SSH identification with 400 and closes. */
export async function httpServer(): Promise<Listening> {
  const server = http.createServer((_req, res) => res.end("hello"));
  return tracked(server, await listen(server));
}

/** A port whose listen queue is full, so new SYNs go unanswered (as behind a firewall that drops). */
export async function fullQueueServer(): Promise<{ port: number; close: () => Promise<void> }> {
  // Node accepts connections as they come; python's socket lets us listen without ever accepting.
  const child: ChildProcess = spawn(
    "python3",
    [
      "-c",
      [
        "import socket, sys, time",
        "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
        "print(s.getsockname()[1], flush=True)",
        "fillers = []",
        "for _ in range(8):",
        "    c = socket.socket(); c.setblocking(False)",
        "    try: c.connect(('127.0.0.1', s.getsockname()[1]))",
        "    except BlockingIOError: pass",
        "    fillers.append(c)",
        "time.sleep(0.3); print('full', flush=True); sys.stdin.read()",
      ].join("\n"),
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`python exited ${code}`)));
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      lines.push(...chunk.split("\n").filter(Boolean));
      if (lines.includes("full")) resolve();
    });
  });
  child.removeAllListeners("exit");
  return {
    port: Number(lines[0]),
    close: async () => {
      child.stdin!.end();
      child.kill();
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

export interface InProcessSsh extends Listening {
  hostKeyPublic: string;
}

/**
 * ssh2's in-process SSH server. `onClient` decides what a connection gets; by default every key is rejected.
 */
export async function ssh2Server(
  options: { config?: Partial<ServerConfig>; onClient?: (client: Connection) => void } = {},
): Promise<InProcessSsh> {
  const hostKey = ed25519();
  const ssh = new SshServer({ hostKeys: [hostKey.private], ...options.config }, (client) => {
    client.on("error", () => undefined);
    if (options.onClient) return options.onClient(client);
    client.on("authentication", (ctx) => ctx.reject(["publickey"]));
  });
  // Our own listener hands sockets to ssh2, so tests can count and close them.
  const server = net.createServer((socket) => ssh.injectSocket(socket));
  return { ...tracked(server, await listen(server)), hostKeyPublic: hostKey.public };
}

/** What the accepting server does with a command: print `output`, then exit `code` (0), or never end. */
export type CommandAnswer = { output?: string; code?: number; hang?: boolean };

export interface AcceptingSsh extends InProcessSsh {
  /** Authentication requests received, over all connections. */
  authRequests(): number;
  /** Authentication requests received, per connection in the order they came. */
  authRequestsPerConnection: number[];
  /** The commands run, in order. */
  commands: string[];
}

/**
 * ssh2's server accepting every key: a ready sshd. Each command gets `answer(command)`; by default it exits 0.
 * `refuse(n)` refuses the n-th authentication request (counted from 1 over all connections), as an sshd whose
 * authorized_keys is not written yet.
 */
export async function acceptingServer(
  options: {
    config?: Partial<ServerConfig>;
    answer?: (command: string) => CommandAnswer;
    refuse?: (request: number) => boolean;
  } = {},
): Promise<AcceptingSsh> {
  let authRequests = 0;
  const perConnection: number[] = [];
  const commands: string[] = [];
  const server = await ssh2Server({
    config: options.config,
    onClient: (client) => {
      const connection = perConnection.push(0) - 1;
      client.on("authentication", (ctx) => {
        authRequests += 1;
        perConnection[connection] += 1;
        if (options.refuse?.(authRequests)) return ctx.reject(["publickey"]);
        ctx.accept();
      });
      client.on("ready", () =>
        client.on("session", (accept) =>
          accept().on("exec", (acceptExec, _reject, info) => {
            // The command as the user wrote it: this server runs no shell to honour the session binding.
            const command = unbound(info.command);
            commands.push(command);
            const stream = acceptExec();
            const { output, code, hang } = options.answer?.(command) ?? {};
            if (output) stream.write(output);
            if (hang) return;
            stream.exit(code ?? 0);
            stream.end();
          }),
        ),
      );
    },
  });
  return {
    ...server,
    authRequests: () => authRequests,
    authRequestsPerConnection: perConnection,
    commands,
  };
}

/**
 * Listens on `port` (one a stopped server freed) while `during` runs, and returns how many connections came:
 * proof that something did not probe the address, independent of any server's log.
 */
export async function connectionsDuring(
  port: number,
  during: () => Promise<unknown>,
): Promise<number> {
  const server = net.createServer((socket) => socket.destroy());
  let count = 0;
  server.on("connection", () => (count += 1));
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  try {
    await during();
    return count;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}
