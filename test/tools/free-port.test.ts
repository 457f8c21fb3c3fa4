// freePort, which every simulated VM and test server takes its port from: free now, and out of the range the
// system hands out by itself (listen(0), outgoing connections' source ports), so no connection of a test running
// beside it can take the port while a simulated VM keeps it closed.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import net from "node:net";
import { describe, it } from "node:test";
import { freePort } from "../../tools/simulator/openssh";

describe("freePort", () => {
  it("gives a free port below the system's ephemeral range", async () => {
    const low = Number(
      readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").split(/\s+/)[0],
    );
    for (let i = 0; i < 20; i++) {
      const port = await freePort();
      assert.ok(port >= 20000 && port < low, `${port} is not in [20000, ${low})`);
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", resolve);
      });
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("never gives a port something listens on", async () => {
    // A thousand ports held at the bottom of its range: a choice that did not check would hit one at once.
    const held: net.Server[] = [];
    for (let port = 20000; port < 21000; port++) {
      const server = net.createServer();
      const listening = await new Promise<boolean>((resolve) => {
        server.once("error", () => resolve(false));
        server.listen(port, "127.0.0.1", () => resolve(true));
      });
      if (listening) held.push(server);
    }
    try {
      assert.ok(held.length > 900, `${held.length} ports held`);
      const heldPorts = new Set(held.map((s) => (s.address() as net.AddressInfo).port));
      for (let i = 0; i < 200; i++) {
        const port = await freePort();
        assert.ok(!heldPorts.has(port), `${port} is held`);
      }
    } finally {
      await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
    }
  });
});
