// The TCP part of an attempt: a direct connection, or a channel forwarded by a jump host whose SSH
// connection is opened once and reused, so fast polling of the target never hammers the jump host.
import net, { type LookupFunction } from "node:net";
import type { Duplex } from "node:stream";
import type { Client, ClientChannel } from "ssh2";
import { classifyForwardFailure, classifySocketError } from "./classify";
import { formatDuration } from "./duration";
import { endpoint, HOST_KEY_TYPES, hostKeyAlgorithmsFor, type HostKeyInfo } from "./host-key";
import type { ResolvedJumpHost } from "./resolve";
import { ConnectionState, login } from "./session";
import type { Limit } from "./deadline";
import { AttemptFailure, Resources, step } from "./step";

/** Opens a TCP connection; failures are classified by the socket error code. */
export async function connectDirect(
  host: string,
  port: number,
  lookup: LookupFunction | undefined,
  limit: Limit,
  signal: AbortSignal | undefined,
  resources: Resources,
  hop: "target" | "jump" = "target",
): Promise<net.Socket> {
  const socket = net.connect({ host, port, lookup, noDelay: true });
  resources.add(() => socket.destroy());
  // Errors are taken by the step in progress; this keeps a late one from being unhandled.
  socket.on("error", () => undefined);
  await step<void>(
    signal,
    limit,
    () =>
      new AttemptFailure(
        "timeout",
        "connect",
        `no answer from ${endpoint(host, port)} within ${formatDuration(limit.ms)}`,
        hop,
      ),
    (resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("error", (err: NodeJS.ErrnoException) =>
        reject(
          new AttemptFailure(
            classifySocketError(err) ?? "unreachable",
            "connect",
            err.message,
            hop,
          ),
        ),
      );
    },
  );
  return socket;
}

/** One SSH connection to the jump host, shared by the attempts of a wait. */
export class JumpSession {
  private client?: Client;
  private readonly resources = new Resources();
  /** Key types the jump host's fingerprint pin has ruled out, and the keys it refused. */
  private readonly excludedKeyTypes: string[] = [];
  private readonly mismatched: HostKeyInfo[] = [];

  constructor(
    private readonly jump: ResolvedJumpHost,
    private readonly lookup: LookupFunction | undefined,
  ) {}

  get label(): string {
    return `${this.jump.username}@${endpoint(this.jump.host, this.jump.port)}`;
  }

  /** Opens a TCP channel to host:port through the jump host. Jump host failures have hop "jump". */
  async forward(
    host: string,
    port: number,
    limit: () => Limit,
    signal: AbortSignal | undefined,
  ): Promise<ClientChannel> {
    const client = await this.connect(limit, signal);
    const forwarding = limit();
    return step<ClientChannel>(
      signal,
      forwarding,
      () =>
        new AttemptFailure(
          "timeout",
          "connect",
          `the jump host did not connect to ${endpoint(host, port)} within ${formatDuration(forwarding.ms)}`,
        ),
      (resolve, reject, settled) => {
        client.forwardOut("127.0.0.1", 0, host, port, (err, channel) => {
          if (err) {
            const reason = (err as Error & { reason?: unknown }).reason;
            const failure = classifyForwardFailure(reason, err.message);
            const fatal = failure === "forwarding-refused";
            return reject(
              new AttemptFailure(
                failure,
                "connect",
                `jump host ${this.label}: ${err.message}`,
                fatal ? "jump" : "target",
                fatal,
              ),
            );
          }
          if (settled()) channel.close();
          else resolve(channel);
        });
      },
    );
  }

  /**
   * Logs in to the jump host, once per wait while the connection lasts. A pin works as the target's does: a
   * full-key pin offers only its types; a fingerprint pin, which does not say its type, makes a mismatch on one
   * type try the others before the mismatch is final.
   */
  private async connect(limit: () => Limit, signal: AbortSignal | undefined): Promise<Client> {
    if (this.client) return this.client;
    for (;;) {
      const state = new ConnectionState("jump");
      try {
        const socket: Duplex = await connectDirect(
          this.jump.host,
          this.jump.port,
          this.lookup,
          limit(),
          signal,
          this.resources,
          "jump",
        );
        const credentials = {
          ...this.jump,
          hostKeyAlgorithms: hostKeyAlgorithmsFor(this.jump.pin, this.excludedKeyTypes),
        };
        const client = await login(socket, credentials, state, limit, signal, this.resources);
        client.on("close", () => {
          if (this.client === client) this.client = undefined;
        });
        this.client = client;
        return client;
      } catch (error) {
        this.resources.closeAll();
        const rejected = error instanceof AttemptFailure && error.failure === "host-key-mismatch";
        // A handshake failure after a mismatch: the jump host has none of the key types left to try.
        const exhausted =
          error instanceof AttemptFailure &&
          error.failure === "handshake" &&
          this.mismatched.length > 0;
        if (!rejected && !exhausted) throw error;
        if (rejected && state.hostKey) {
          this.mismatched.push(state.hostKey);
          if (this.jump.pin && !this.jump.pin.onlyFullKeys) {
            this.excludedKeyTypes.push(state.hostKey.type);
            if (HOST_KEY_TYPES.some((type) => !this.excludedKeyTypes.includes(type))) continue;
          }
        }
        const failure = new AttemptFailure(
          "host-key-mismatch",
          "connect",
          `jump host ${this.label}: its host key is not pinned`,
          "jump",
          true,
        );
        failure.mismatch = {
          presented: [...this.mismatched],
          expected: this.jump.pin?.describe() ?? "",
        };
        throw failure;
      }
    }
  }

  close(): void {
    this.client = undefined;
    this.resources.closeAll();
  }
}
