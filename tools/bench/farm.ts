// The benchmark's host farm, run as its own process so only the waiter is measured: N ssh2 servers on
// loopback, each opening its port at a random moment between OPEN_FROM_MS and OPEN_TO_MS after start,
// accepting the given public key. Prints {"ports": [...]} once the ports are chosen; exits when stdin closes.
import net from "node:net";
import { Server as SshServer, utils } from "ssh2";
import { generateEd25519 } from "../../components/keys/generation";
import { freePort } from "../simulator/openssh";

const count = Number(process.env.HOSTS ?? 200);
const from = Number(process.env.OPEN_FROM_MS ?? 3000);
const to = Number(process.env.OPEN_TO_MS ?? 10000);
const parsedKey = utils.parseKey(process.env.AUTHORIZED_KEY ?? "");
if (parsedKey instanceof Error || Array.isArray(parsedKey)) {
  throw new Error("AUTHORIZED_KEY must be a public key line");
}
const userKey = parsedKey;
const authorized = userKey.getPublicSSH();

async function main(): Promise<void> {
  const hostKey = generateEd25519().privateKey;
  const ssh = new SshServer({ hostKeys: [hostKey] }, (client) => {
    client.on("error", () => undefined);
    client.on("authentication", (ctx) => {
      if (
        ctx.method === "publickey" &&
        ctx.key.data.equals(authorized) &&
        (!ctx.signature || userKey.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true)
      ) {
        ctx.accept();
      } else ctx.reject(["publickey"]);
    });
    client.on("ready", () =>
      client.on("session", (accept) =>
        accept().on("exec", (acceptExec) => {
          const stream = acceptExec();
          stream.exit(0);
          stream.end();
        }),
      ),
    );
  });
  // One at a time, each different: a port chosen is free only until it is chosen again.
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(await freePort());
  const ports = [...chosen];
  process.stdout.write(`${JSON.stringify({ ports })}\n`);
  for (const port of ports) {
    setTimeout(
      () => {
        net.createServer((socket) => ssh.injectSocket(socket)).listen(port, "127.0.0.1");
      },
      from + Math.random() * (to - from),
    );
  }
  process.stdin.resume();
  process.stdin.on("end", () => process.exit(0));
}

void main();
