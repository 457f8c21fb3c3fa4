// Decrypts one OpenSSH private key in a worker thread (keys.ts, decryptPrivateKey): its bcrypt rounds take
// seconds, during which the thread that asked keeps answering. Sends back the key decrypted, never logged.
import { parentPort, workerData } from "node:worker_threads";
import { utils } from "ssh2";

const { text, passphrase } = workerData as { text: string; passphrase: string };
const parsed = utils.parseKey(text, passphrase);
const key = parsed instanceof Error ? undefined : Array.isArray(parsed) ? parsed[0] : parsed;
const pem = key?.getPrivatePEM() ?? undefined;
parentPort!.postMessage(key && pem ? { type: key.type, pem } : { failed: true });
