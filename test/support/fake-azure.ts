// A local fake of the two Azure endpoints that serve a VM's serial console: Resource Manager's
// `retrieveBootDiagnosticsData` (which answers with a SAS URI) and the blob store behind that URI. HTTPS on
// 127.0.0.1 with a certificate from a CA made for the test by openssl; nothing here reaches any other address.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const FAKE_VM_ID =
  "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-ready/providers/Microsoft.Compute/virtualMachines/vm-ready";
export const FAKE_TOKEN = "fake-bearer-token-9f1c2d";
/** The SAS signature: a credential, which must never show anywhere. */
export const FAKE_SIG = "sv2024sigQ2xhc3NpZmllZC1zZWNyZXQtc2lnbmF0dXJl";

/** What the management endpoint answers: the SAS URI, or one of Azure's refusals. */
export type FakeMode = "ok" | 403 | 404 | 409 | "no-blob" | "silent";

export interface FakeAzure {
  endpoint: string;
  ca: string;
  /** The serial log the blob store serves now. */
  log: string;
  mode: FakeMode;
  requests: { method: string; path: string }[];
  server: Server;
  close(): Promise<void>;
}

/** A CA and a certificate for 127.0.0.1 signed by it, made with openssl in a scratch folder. */
function certificates(): { ca: string; key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "fake-azure-ca-"));
  try {
    const at = (name: string) => join(dir, name);
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        ...ec,
        "-keyout",
        at("ca.key"),
        "-out",
        at("ca.pem"),
        "-days",
        "1",
        "-subj",
        "/CN=ssh-ready test CA",
      ],
      { stdio: "ignore" },
    );
    execFileSync(
      "openssl",
      [
        "req",
        ...ec,
        "-keyout",
        at("server.key"),
        "-out",
        at("server.csr"),
        "-subj",
        "/CN=127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    writeFileSync(at("ext"), "subjectAltName=IP:127.0.0.1\n");
    execFileSync(
      "openssl",
      [
        "x509",
        "-req",
        "-in",
        at("server.csr"),
        "-CA",
        at("ca.pem"),
        "-CAkey",
        at("ca.key"),
        "-CAcreateserial",
        "-out",
        at("server.pem"),
        "-days",
        "1",
        "-extfile",
        at("ext"),
      ],
      { stdio: "ignore" },
    );
    return {
      ca: readFileSync(at("ca.pem"), "utf8"),
      key: readFileSync(at("server.key"), "utf8"),
      cert: readFileSync(at("server.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ERRORS: Record<403 | 404 | 409, { code: string; message: string }> = {
  403: {
    code: "AuthorizationFailed",
    message:
      "The client 'ops@example.com' with object id '11111111-2222-3333-4444-555555555555' does not have authorization to perform action 'Microsoft.Compute/virtualMachines/retrieveBootDiagnosticsData/action' over scope '/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-ready/providers/Microsoft.Compute/virtualMachines/vm-ready' or the scope is invalid.",
  },
  404: {
    code: "ResourceNotFound",
    message:
      "The Resource 'Microsoft.Compute/virtualMachines/vm-ready' under resource group 'rg-ready' was not found.",
  },
  409: {
    code: "OperationNotAllowed",
    message: "Boot diagnostics is not enabled for the virtual machine.",
  },
};

export async function fakeAzure(log: string): Promise<FakeAzure> {
  const { ca, key, cert } = certificates();
  const requests: FakeAzure["requests"] = [];
  const fake = { log, mode: "ok" as FakeMode, requests } as FakeAzure;
  const server: Server = createServer({ key, cert }, (req, res) => {
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    requests.push({ method: req.method ?? "", path: url.pathname });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "POST" && url.pathname === `${FAKE_VM_ID}/retrieveBootDiagnosticsData`) {
      if (req.headers.authorization !== `Bearer ${FAKE_TOKEN}`)
        return json(401, {
          error: { code: "InvalidAuthenticationToken", message: "The access token is invalid." },
        });
      if (
        url.searchParams.get("api-version") === null ||
        url.searchParams.get("sasUriExpirationTimeInMinutes") === null
      )
        return json(400, {
          error: {
            code: "MissingApiVersionParameter",
            message: "The api-version query parameter is required.",
          },
        });
      if (typeof fake.mode === "number") return json(fake.mode, { error: ERRORS[fake.mode] });
      // Azure that never answers (a black hole on the way): the request stays open until the client ends it.
      if (fake.mode === "silent") return;
      const { port } = server.address() as AddressInfo;
      return json(200, {
        consoleScreenshotBlobUri: `https://127.0.0.1:${port}/bootdiagnostics-vmready/vm-ready.screenshot.bmp?sv=2024&sig=${FAKE_SIG}`,
        serialConsoleLogBlobUri:
          fake.mode === "no-blob"
            ? undefined
            : `https://127.0.0.1:${port}/bootdiagnostics-vmready/vm-ready.serialconsole.log?sv=2024&sig=${FAKE_SIG}`,
      });
    }
    if (
      req.method === "GET" &&
      url.pathname === "/bootdiagnostics-vmready/vm-ready.serialconsole.log"
    ) {
      if (url.searchParams.get("sig") !== FAKE_SIG)
        return json(403, { error: { code: "AuthenticationFailed" } });
      res.writeHead(200, { "content-type": "text/plain" });
      return res.end(fake.log);
    }
    json(404, { error: { code: "NotFound", message: "no such route in the fake" } });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  fake.server = server;
  fake.endpoint = `https://127.0.0.1:${port}`;
  fake.ca = ca;
  fake.close = () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return fake;
}
