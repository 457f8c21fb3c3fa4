// The VM's console from Azure's boot diagnostics: `retrieveBootDiagnosticsData` gives a read-only SAS URI of the
// serial console log, and a GET of that blob gives the log. The SAS URI is a credential: it is never printed,
// logged, stored or put in an error. Boot diagnostics flush the log now and then, not live, and the POST counts
// against the subscription's write limit: the URI is kept until shortly before it expires, and the blob is read at
// most once every MIN_READ_INTERVAL_MS (a read in between gives the last text again).
import { request } from "node:https";
import type { ConsoleRead, ConsoleReader } from "./console-log";
import { MAX_BYTES } from "./console-log";
import { printable } from "./printable";

/** An access token source, as `@azure/identity`'s credentials are (its `TokenCredential`). */
export interface AzureTokenCredential {
  getToken(
    scopes: string | string[],
  ): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

/** How the console is fetched from Azure: the credential, and where (tests give a local fake and its CA). */
export interface AzureConsoleAccess {
  /** Defaults to `@azure/identity` (an optional dependency): azure-native's `ARM_*` client secret, else its DefaultAzureCredential. */
  credential?: AzureTokenCredential;
  /** The Resource Manager endpoint. Defaults to `https://management.azure.com`. */
  managementEndpoint?: string;
  /** CA certificates to trust besides Node's own (PEM), for both the endpoint and the blob. */
  ca?: string;
}

/** A VM's resource ID: `/subscriptions/…/resourceGroups/…/providers/Microsoft.Compute/virtualMachines/…`. */
export const VM_RESOURCE_ID =
  /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w.()]{1,90}\/providers\/Microsoft\.Compute\/virtualMachines\/[-\w.]{1,64}$/i;

export const API_VERSION = "2024-07-01";
/** The SAS URI asked for lives this long, and is used until a minute before it ends. */
export const SAS_MINUTES = 10;
export const MIN_READ_INTERVAL_MS = 5000;
const REQUEST_TIMEOUT_MS = 20_000;
/** An error body from Azure is shown at most this long. */
const ERROR_CHARS = 300;

interface Response {
  status: number;
  body: Buffer;
}

/** One HTTPS request; the body kept is at most its last MAX_BYTES. Never puts the URL in an error. */
function fetchOnce(
  url: URL,
  method: "GET" | "POST",
  headers: Record<string, string>,
  ca: string | undefined,
  signal: AbortSignal | undefined,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    if (url.protocol !== "https:") {
      reject(new Error("not an https address"));
      return;
    }
    const req = request(
      url,
      { method, headers, ca, timeout: REQUEST_TIMEOUT_MS, signal },
      (res) => {
        let body = Buffer.alloc(0);
        res.on("data", (chunk: Buffer) => {
          body = Buffer.concat([body, chunk]);
          if (body.length > 2 * MAX_BYTES) body = body.subarray(-MAX_BYTES);
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: body.subarray(-MAX_BYTES) }),
        );
        res.on("error", () => reject(new Error("the connection broke")));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS / 1000} s`)));
    // A socket error names the host and port at most, never the path or query.
    req.on("error", (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          signal?.aborted
            ? "stopped waiting for Azure"
            : error.code
              ? `${error.code} ${url.host}`
              : printable(error.message),
        ),
      ),
    );
    req.end(method === "POST" ? "" : undefined);
  });
}

/** Azure's error body (`{"error":{"code","message"}}`) in one line, bounded and escaped. */
function azureError(response: Response): string {
  let code = "";
  let message = "";
  try {
    const parsed = JSON.parse(response.body.toString("utf8")) as {
      error?: { code?: unknown; message?: unknown };
    };
    code = typeof parsed.error?.code === "string" ? parsed.error.code : "";
    message = typeof parsed.error?.message === "string" ? parsed.error.message : "";
  } catch {
    // Not Azure's JSON (a proxy's page): the status alone.
  }
  const text = printable([code, message].filter(Boolean).join(": "));
  const shown = text.length > ERROR_CHARS ? `${text.slice(0, ERROR_CHARS)}…` : text;
  return `HTTP ${response.status}${shown ? ` ${shown}` : ""}`;
}

/** What to do about a refusal of the management endpoint. */
function hintFor(status: number): string {
  if (status === 401 || status === 403)
    return " (the identity needs Microsoft.Compute/virtualMachines/retrieveBootDiagnosticsData/action on the VM)";
  if (status === 404) return " (no such VM: check the resource ID and the subscription)";
  if (status === 409) return " (are the VM's boot diagnostics on?)";
  return "";
}

/**
 * Reads the VM's serial console log from its boot diagnostics each time it is called (see the top of this file
 * for how often it really asks). `credential` is resolved once, on first use.
 */
export function azureConsoleReader(
  vmId: string,
  access: AzureConsoleAccess,
  now: () => number = Date.now,
): ConsoleReader {
  const source = `boot diagnostics of ${printable(vmId)}`;
  const endpoint = new URL(access.managementEndpoint ?? "https://management.azure.com");
  let credential: AzureTokenCredential | undefined = access.credential;
  let sas: { uri: URL; until: number } | undefined;
  let last: { at: number; read: ConsoleRead } | undefined;

  const read = async (signal: AbortSignal | undefined): Promise<ConsoleRead> => {
    credential ??= await defaultCredential();
    if (!sas || now() >= sas.until) {
      const scope = new URL("/.default", endpoint).toString();
      const token = await credential.getToken(scope).catch((error: unknown) => {
        throw new Error(`no Azure credential: ${printable(firstLine(error))}`);
      });
      if (!token) throw new Error("no Azure credential: the credential gave no token");
      const url = new URL(`${vmId}/retrieveBootDiagnosticsData`, endpoint);
      url.searchParams.set("api-version", API_VERSION);
      url.searchParams.set("sasUriExpirationTimeInMinutes", String(SAS_MINUTES));
      const asked = await fetchOnce(
        url,
        "POST",
        { authorization: `Bearer ${token.token}`, "content-length": "0" },
        access.ca,
        signal,
      );
      if (asked.status !== 200)
        throw new Error(`Azure refused: ${azureError(asked)}${hintFor(asked.status)}`);
      const uri = (JSON.parse(asked.body.toString("utf8")) as { serialConsoleLogBlobUri?: unknown })
        .serialConsoleLogBlobUri;
      if (typeof uri !== "string" || uri === "")
        throw new Error(
          "the boot diagnostics hold no serial log (are they on, and has the VM started?)",
        );
      sas = { uri: new URL(uri), until: now() + (SAS_MINUTES - 1) * 60_000 };
    }
    const blob = await fetchOnce(sas.uri, "GET", {}, access.ca, signal);
    if (blob.status === 403 || blob.status === 404) sas = undefined;
    if (blob.status !== 200)
      throw new Error(`the serial log could not be read: HTTP ${blob.status}`);
    return { source, text: blob.body.toString("utf8") };
  };

  return async (signal) => {
    if (last && now() - last.at < MIN_READ_INTERVAL_MS) return last.read;
    const result = await read(signal).then(
      (got): ConsoleRead => got,
      (error: unknown): ConsoleRead => ({ source, unavailable: firstLine(error) }),
    );
    last = { at: now(), read: result };
    return result;
  };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

/**
 * The credential an azure-native user has: azure-native's service principal (`ARM_CLIENT_ID`, `ARM_CLIENT_SECRET`,
 * `ARM_TENANT_ID`) when set, else `@azure/identity`'s DefaultAzureCredential (`AZURE_*` variables, workload and
 * managed identity, the Azure CLI's login). `@azure/identity` is an optional dependency: without it, this says so.
 */
async function defaultCredential(): Promise<AzureTokenCredential> {
  let identity: {
    ClientSecretCredential: new (
      tenant: string,
      client: string,
      secret: string,
    ) => AzureTokenCredential;
    DefaultAzureCredential: new () => AzureTokenCredential;
  };
  try {
    identity = (await import("@azure/identity" as string)) as typeof identity;
  } catch {
    throw new Error(
      "no Azure credential: install the optional @azure/identity (npm install @azure/identity), or give one",
    );
  }
  const { ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_TENANT_ID } = process.env;
  if (ARM_CLIENT_ID && ARM_CLIENT_SECRET && ARM_TENANT_ID)
    return new identity.ClientSecretCredential(ARM_TENANT_ID, ARM_CLIENT_ID, ARM_CLIENT_SECRET);
  return new identity.DefaultAzureCredential();
}
