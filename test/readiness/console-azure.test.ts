// The VM's console from Azure's boot diagnostics, against a local fake of the management endpoint and the blob
// store (HTTPS on 127.0.0.1, a CA made for the test) serving a serial log captured from a real boot: the give-up's
// console lines, Azure's refusals in one line each, a missing credential, the console as the pin, how often Azure
// is asked, and the SAS URI and the token never shown.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { consoleTail } from "../../components/readiness/console";
import {
  azureConsoleReader,
  type AzureTokenCredential,
} from "../../components/readiness/console-azure";
import { HostKeyMismatchError, SshNotReadyError, waitForSsh } from "../../components/readiness";
import { acceptingServer, type AcceptingSsh } from "../support/bad-servers";
import { fakeAzure, FAKE_SIG, FAKE_TOKEN, FAKE_VM_ID, type FakeAzure } from "../support/fake-azure";
import { ed25519 } from "../support/keys";
import { freePort } from "../../tools/simulator/openssh";

const consoles = resolve(__dirname, "../../../test/readiness/consoles");
const rebooted = readFileSync(join(consoles, "debian12-rebooted.serial.log"), "utf8");
const firstBoot = readFileSync(join(consoles, "debian12-first-boot.serial.log"), "utf8");
const credential: AzureTokenCredential = {
  getToken: async (scopes) => {
    assert.match(String(scopes), /^https:\/\/127\.0\.0\.1:\d+\/\.default$/);
    return { token: FAKE_TOKEN, expiresOnTimestamp: Date.now() + 3600_000 };
  },
};
const user = ed25519();

describe("the console from Azure's boot diagnostics (a local fake of Azure)", () => {
  let azure: FakeAzure;
  let ssh: AcceptingSsh;
  const access = () => ({ credential, managementEndpoint: azure.endpoint, ca: azure.ca });
  before(async () => {
    azure = await fakeAzure(rebooted);
    ssh = await acceptingServer();
  });
  after(async () => {
    await azure.close();
    await ssh.close();
  });

  /** A wait that gives up in a second (nothing listens), reading the console from the fake. */
  async function giveUp(extra: Record<string, unknown> = {}): Promise<SshNotReadyError> {
    const error = await waitForSsh({
      host: "127.0.0.1",
      port: await freePort(),
      level: "tcp",
      timeout: 1,
      azureVmId: FAKE_VM_ID,
      azure: access(),
      ...extra,
    }).catch((e: unknown) => e);
    assert.ok(error instanceof SshNotReadyError, String(error));
    return error;
  }

  /** Neither the SAS signature nor the token appear in what the wait gives back. */
  function noCredentialIn(error: SshNotReadyError): void {
    const text = `${error.message}\n${JSON.stringify(error.toJSON())}`;
    assert.ok(!text.includes(FAKE_SIG), "no SAS signature");
    assert.ok(!text.includes("sig="), "no SAS query");
    assert.ok(!text.includes(FAKE_TOKEN), "no token");
  }

  it("gives up with this boot's lines that matter, from the blob the SAS URI names", async () => {
    azure.mode = "ok";
    azure.requests.length = 0;
    const error = await giveUp();
    const source = `boot diagnostics of ${FAKE_VM_ID}`;
    assert.deepEqual(error.console, { source, tail: consoleTail(rebooted) });
    assert.ok(
      error.message.includes(
        `\nThe VM's console (${source}), this boot's last lines that matter:\n  | `,
      ),
      error.message,
    );
    assert.deepEqual(
      azure.requests.map((r) => r.method),
      ["POST", "GET"],
    );
    noCredentialIn(error);
  });

  for (const [mode, expected] of [
    [
      403,
      /Azure refused: HTTP 403 AuthorizationFailed: The client .* \(the identity needs Microsoft\.Compute\/virtualMachines\/retrieveBootDiagnosticsData\/action on the VM\)\)\.$/,
    ],
    [
      404,
      /Azure refused: HTTP 404 ResourceNotFound: The Resource .* was not found\. \(no such VM: check the resource ID and the subscription\)\)\.$/,
    ],
    [
      409,
      /Azure refused: HTTP 409 OperationNotAllowed: Boot diagnostics is not enabled for the virtual machine\. \(are the VM's boot diagnostics on\?\)\)\.$/,
    ],
    [
      "no-blob",
      /the boot diagnostics hold no serial log \(are they on, and has the VM started\?\)\)\.$/,
    ],
  ] as const) {
    it(`says in one line why the console could not be had: ${mode}`, async () => {
      azure.mode = mode;
      const error = await giveUp();
      assert.equal(error.console?.tail, undefined);
      const last = error.message.split("\n").at(-1)!;
      assert.match(
        last,
        /^The VM's console could not be read \(boot diagnostics of \/subscriptions\/\S+: /,
      );
      assert.match(last, expected);
      // The wait's own message is unchanged above it.
      assert.match(error.message, /^sshd on 127\.0\.0\.1:\d+ never answered: /);
      noCredentialIn(error);
    });
  }

  // The wait's own limit on the read (CONSOLE_READ_MS after the deadline) is tested on an injected clock in
  // console.test.ts; here, that the reader ends its requests when told to stop, rather than leaving them to their
  // own 20 s limits.
  it("ends a silent Azure's request when told to stop, and leaves no connection open", async () => {
    azure.mode = "silent";
    const stop = new AbortController();
    const told = setTimeout(() => stop.abort(), 500);
    const started = performance.now();
    const read = await azureConsoleReader(FAKE_VM_ID, access())(stop.signal);
    const seconds = (performance.now() - started) / 1000;
    clearTimeout(told);
    assert.deepEqual(read, {
      source: `boot diagnostics of ${FAKE_VM_ID}`,
      unavailable: "stopped waiting for Azure",
    });
    assert.ok(seconds < 5, `ended ${seconds} s after it began, not at the abort`);
    // Given a moment for the close to reach the server.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const open = await new Promise<number>((resolve) =>
      azure.server.getConnections((_e, count) => resolve(count)),
    );
    assert.equal(open, 0);
  });

  it("says when there is no credential: one that fails, or no @azure/identity to make one", async () => {
    azure.mode = "ok";
    const failing = await giveUp({
      azure: {
        ...access(),
        credential: {
          getToken: () => Promise.reject(new Error("AzureCliCredential: Please run 'az login'")),
        },
      },
    });
    assert.match(
      failing.message,
      /could not be read \(boot diagnostics of \S+: no Azure credential: AzureCliCredential: Please run 'az login'\)\.$/,
    );
    // This repository does not install the optional @azure/identity: the default credential cannot be made, and
    // nothing is asked of any endpoint.
    azure.requests.length = 0;
    const none = await giveUp({ azure: { managementEndpoint: azure.endpoint, ca: azure.ca } });
    assert.match(
      none.message,
      /no Azure credential: install the optional @azure\/identity \(npm install @azure\/identity\), or give one\)\.$/,
    );
    assert.deepEqual(azure.requests, []);
  });

  it('with hostKeyPin "console", pins the keys the boot diagnostics show: an impostor is refused, offered no key', async () => {
    azure.mode = "ok";
    azure.log = firstBoot;
    const requests = ssh.authRequests();
    const error = await waitForSsh({
      host: "127.0.0.1",
      port: ssh.port,
      username: "azureuser",
      privateKey: user.private,
      hostKeyPin: "console",
      azureVmId: FAKE_VM_ID,
      azure: access(),
      timeout: 20,
    }).catch((e: unknown) => e);
    assert.ok(error instanceof HostKeyMismatchError, String(error));
    assert.equal(ssh.authRequests(), requests);
    azure.log = rebooted;
  });

  it("asks Azure for the SAS URI once, and reads the blob at most every 5 s however often it is asked", async () => {
    azure.mode = "ok";
    azure.requests.length = 0;
    let t = 0;
    const read = azureConsoleReader(FAKE_VM_ID, access(), () => t);
    for (; t < 12_000; t += 200) assert.ok((await read()).text);
    assert.deepEqual(
      azure.requests.map((r) => r.method),
      ["POST", "GET", "GET", "GET"],
    );
    // Past the SAS URI's life (9 of its 10 minutes), a new one is asked for.
    t = 10 * 60_000;
    await read();
    assert.deepEqual(azure.requests.map((r) => r.method).slice(-2), ["POST", "GET"]);
  });

  it("refuses a bad VM ID, two consoles, and a credential without getToken, before any connection", async () => {
    const base = { host: "127.0.0.1", level: "tcp" as const };
    await assert.rejects(
      waitForSsh({ ...base, azureVmId: "vm-ready" }),
      /\[azureVmId\] must be a VM's resource ID, .*, not "vm-ready"/,
    );
    await assert.rejects(
      waitForSsh({ ...base, azureVmId: FAKE_VM_ID, serialLog: "/tmp/x" }),
      /\[azureVmId\] is a second console: give \[serialLog\] or this, not both/,
    );
    await assert.rejects(
      waitForSsh({
        ...base,
        azureVmId: FAKE_VM_ID,
        azure: { credential: {} as AzureTokenCredential },
      }),
      /\[azure\.credential\] must have getToken/,
    );
    await assert.rejects(
      waitForSsh({
        ...base,
        azureVmId: FAKE_VM_ID,
        azure: { managementEndpoint: "http://127.0.0.1:1" },
      }),
      /\[azure\.managementEndpoint\] must be an https URL/,
    );
  });
});
