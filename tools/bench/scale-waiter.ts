// The benchmark's waiting process: waits for every port in PORTS at once (level auth), and reports its own
// peak RSS and CPU time, overall and during the first REFUSED_WINDOW_MS (while every port still refuses).
import { waitForSsh } from "../../components/readiness";

const ports = JSON.parse(process.env.PORTS ?? "[]") as number[];
const key = process.env.PRIVATE_KEY ?? "";
const refusedWindowMs = Number(process.env.REFUSED_WINDOW_MS ?? 2500);

async function main(): Promise<void> {
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  let refusedCpu: NodeJS.CpuUsage | undefined;
  const window = setTimeout(() => (refusedCpu = process.cpuUsage(cpuAtStart)), refusedWindowMs);
  const results = await Promise.allSettled(
    ports.map((port) =>
      waitForSsh({
        host: "127.0.0.1",
        port,
        username: "bench",
        privateKey: key,
        level: "auth",
        timeout: "60s",
      }),
    ),
  );
  clearTimeout(window);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuAtStart);
  const seconds = (u?: NodeJS.CpuUsage) => (u ? (u.user + u.system) / 1e6 : NaN);
  process.stdout.write(
    `${JSON.stringify({
      hosts: ports.length,
      detected: results.filter((r) => r.status === "fulfilled").length,
      wallSeconds: wallMs / 1000,
      cpuSeconds: seconds(cpu),
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      refusedCpuPerWallSecond: seconds(refusedCpu) / (refusedWindowMs / 1000),
      attempts: results.reduce((n, r) => n + (r.status === "fulfilled" ? r.value.attempts : 0), 0),
    })}\n`,
  );
}

void main();
