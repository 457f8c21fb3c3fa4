// The demos' next step after a wait: Ansible's first task, in small. One SSH login that checks cloud-init is
// done, reporting failures the way ssh and Ansible print them.
import { Client } from "ssh2";
import { printable } from "../components/readiness/printable";

export interface Target {
  host: string;
  port: number;
  user: string;
}

/**
 * Logs in and runs `cloud-init status`; resolves with "" when cloud-init is done, else with the error text.
 * With `hostKeys` (OpenSSH public key lines), the server must present one of them.
 */
export function nextStep(target: Target, privateKey: string, hostKeys?: string[]): Promise<string> {
  const { host, port, user } = target;
  return new Promise((done) => {
    const client = new Client();
    const finish = (text: string) => {
      // Not end(): that waits for the server to close the connection, and the VM may be gone first.
      client.destroy();
      done(text);
    };
    client.on("error", (err: Error & { code?: string; level?: string }) => {
      if (err.code === "ECONNREFUSED")
        return finish(`ssh: connect to host ${host} port ${port}: Connection refused`);
      if (err.level === "client-authentication")
        return finish(`${user}@${host}: Permission denied (publickey).`);
      return finish(`ssh: ${printable(err.message)}`);
    });
    client.on("ready", () =>
      client.exec("cloud-init status", (err, stream) => {
        if (err) return finish(`ssh: ${printable(err.message)}`);
        let output = "";
        stream.on("data", (chunk: Buffer) => (output += chunk.toString()));
        stream.stderr.on("data", () => undefined);
        stream.on("close", () =>
          finish(
            /status: done/.test(output) ? "" : `cloud-init not done: ${printable(output.trim())}`,
          ),
        );
      }),
    );
    client.connect({
      host,
      port,
      username: user,
      privateKey,
      readyTimeout: 20_000,
      hostVerifier: (key: Buffer) =>
        !hostKeys || hostKeys.some((line) => line.split(" ")[1] === key.toString("base64")),
    });
  });
}
