// A real VM for the `local` stack's commands, which outlives them: `start` boots it in the background and prints
// {"address": …, "serialLog": …}; `stop` ends it and removes its tap device and files. Everything comes from the environment:
//   STATE_DIR                                         both: the VM's folder (disk, seed, console log, pid)
//   USER_DATA, ADMIN_USER, ADMIN_PUBLIC_KEY           start: what cloud-init gets (see VmSeed)
import { startDetached, stopDetached } from "./vm";

function need(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function main(command: string | undefined): Promise<void> {
  const stateDir = need("STATE_DIR");
  if (command === "start") {
    const vm = await startDetached(stateDir, {
      userData: need("USER_DATA"),
      adminUsername: need("ADMIN_USER"),
      adminPublicKey: need("ADMIN_PUBLIC_KEY"),
      hostname: process.env.VM_HOSTNAME,
    });
    process.stdout.write(`${JSON.stringify(vm)}\n`);
  } else if (command === "stop") {
    stopDetached(stateDir);
  } else {
    throw new Error(
      "usage: cli.js start|stop (see the comment at the top of tools/real-vm/cli.ts)",
    );
  }
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`real-vm: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
