// The incident's check, `nc -w 1 -z host port`: does a TCP connection open? Nothing is sent.
import net from "node:net";

export function portOpen(port: number, timeoutMs = 1000, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: timeoutMs });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}
