// The benchmark's waiting process: waits for every port in PORTS at once (level auth), and reports its own
// peak RSS and CPU time: overall, in its first second (start-up: 200 keys parsed, code compiled), and from
// then to REFUSED_UNTIL_MS, while every port still refuses (the farm opens none before 3 s): the steady cost
// of refused attempts.
import { waitForSsh } from "../../components/readiness";

const ports = JSON.parse(process.env.PORTS ?? "[]") as number[];
const key = process.env.PRIVATE_KEY ?? "";
const startupMs = 1000;
const refusedUntilMs = Number(process.env.REFUSED_UNTIL_MS ?? 2500);

async function main(): Promise<void> {
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  let startupCpu: NodeJS.CpuUsage | undefined;
  let refusedCpu: NodeJS.CpuUsage | undefined;
  const startup = setTimeout(() => (startupCpu = process.cpuUsage(cpuAtStart)), startupMs);
  const window = setTimeout(() => (refusedCpu = process.cpuUsage(cpuAtStart)), refusedUntilMs);
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
  clearTimeout(startup);
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
      startupCpuSeconds: seconds(startupCpu),
      refusedCpuPerWallSecond:
        (seconds(refusedCpu) - seconds(startupCpu)) / ((refusedUntilMs - startupMs) / 1000),
      attempts: results.reduce((n, r) => n + (r.status === "fulfilled" ? r.value.attempts : 0), 0),
    })}\n`,
  );
}

void main();
