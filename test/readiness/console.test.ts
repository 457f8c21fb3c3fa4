// The VM's console as a second witness, on a serial log captured from a real Debian 12 VM under QEMU with the
// component's custom data (the benchmark's reboot: `debian12-rebooted` holds the first boot and the one after a
// reboot; `debian12-first-boot` is its first boot alone, up to the reboot): the current boot's part, the host
// keys cloud-init printed there, the lines that matter when a wait gives up, and the loop that reads them.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import type { AttemptOutcome } from "../../components/readiness/attempt";
import {
  consoleHostKeys,
  consoleTail,
  currentBoot,
  earlierHostKeyRecord,
  screenConsoleLine,
  TAIL_LINES,
} from "../../components/readiness/console";
import { serialLogReader, type ConsoleRead } from "../../components/readiness/console-log";
import { SshNotReadyError } from "../../components/readiness/errors";
import { CONSOLE_READ_MS, runWait } from "../../components/readiness/loop";
import { resolveOptions } from "../../components/readiness/resolve";
import { FakeClock } from "../support/fake-clock";
import { ed25519 } from "../support/keys";

/** An attempt that found nothing listening: what the scripted waits below meet until they are told otherwise. */
const REFUSED: AttemptOutcome = {
  ok: false,
  hop: "target",
  reached: "connect",
  failure: "refused",
  detail: "connect ECONNREFUSED",
  fatal: false,
  hostKeysSeen: [],
  warnings: [],
};

const consoles = resolve(__dirname, "../../../test/readiness/consoles");
const rebooted = readFileSync(join(consoles, "debian12-rebooted.serial.log"), "utf8");
const firstBoot = readFileSync(join(consoles, "debian12-first-boot.serial.log"), "utf8");
const KEYS_BEGIN = "-----BEGIN SSH HOST KEY KEYS-----";
const KEYS_END = "-----END SSH HOST KEY KEYS-----";

/** ssh-keygen's fingerprint of a public key line: the real tool, not our code. */
function keygenFingerprint(line: string): string {
  const dir = mkdtempSync(join(tmpdir(), "console-key-"));
  try {
    writeFileSync(join(dir, "key.pub"), `${line}\n`);
    return execFileSync("ssh-keygen", ["-lf", join(dir, "key.pub")], { encoding: "utf8" }).split(
      " ",
    )[1];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the current boot's part of a console", () => {
  it("starts at the last line where a kernel started", () => {
    const boot = currentBoot(rebooted);
    assert.match(boot[0], /^\[\s+0\.000000\] Linux version 6\.1\.0/);
    assert.equal(boot.filter((l) => /Linux version/.test(l)).length, 1);
    // The first boot's cloud-init output is not in it; the second's is.
    assert.equal(boot.filter((l) => /Cloud-init v\. \S+ finished at/.test(l)).length, 1);
    assert.equal((rebooted.match(/Cloud-init v\. \S+ finished at/g) ?? []).length, 2);
  });
});

describe("the host keys cloud-init printed on the console", () => {
  it("reads this boot's record, whose keys run together as cloud-init printed them, each checked by ssh-keygen", () => {
    // The component's host key files end without a line break: on the console each key runs into the next.
    assert.match(firstBoot, /bench-vmssh-ed25519 AAAA/);
    const keys = consoleHostKeys(firstBoot)!;
    assert.deepEqual(
      keys.map((k) => k.type),
      // In the console's order ECDSA comes first; Ed25519 is put first, as ssh2 prefers it.
      ["ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"],
    );
    for (const key of keys) assert.equal(key.fingerprint, keygenFingerprint(key.line));
  });

  it("is the current boot's only: after a reboot there is none (cloud-init prints it once per instance)", () => {
    assert.equal((rebooted.match(new RegExp(KEYS_END, "g")) ?? []).length, 1);
    assert.equal(consoleHostKeys(rebooted), undefined);
    assert.ok(earlierHostKeyRecord(rebooted));
    assert.ok(!earlierHostKeyRecord(firstBoot));
  });

  it("takes nothing outside the markers, nor from a record without its end", () => {
    const [key] = consoleHostKeys(firstBoot)!;
    // A key line anywhere else on the console (a hostname, a script's output) is not the record.
    assert.equal(consoleHostKeys(`${rebooted}\r\n${key.line} root@impostor\r\n`), undefined);
    assert.equal(consoleHostKeys(`${rebooted}\r\n${KEYS_BEGIN}\r\n${key.line}\r\n`), undefined);
    assert.equal(
      consoleHostKeys(`${rebooted}\r\n${KEYS_BEGIN}\r\nnot a key\r\n${KEYS_END}\r\n`),
      undefined,
    );
    // A key that does not parse is skipped; the others count.
    const record = `${KEYS_BEGIN}\r\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIbad\r\n${key.line} ok\r\n${KEYS_END}\r\n`;
    assert.deepEqual(
      consoleHostKeys(`${rebooted}\r\n${record}`)?.map((k) => k.line),
      [key.line],
    );
  });
});

describe("the console's lines that matter when a wait gives up", () => {
  it("are this boot's, ending with cloud-init's last line", () => {
    const tail = consoleTail(rebooted);
    assert.ok(tail.length >= 1 && tail.length <= TAIL_LINES, tail.join("\n"));
    assert.match(tail.at(-1)!, /Cloud-init v\. 22\.4\.2 finished at .* Up \d+\.\d+ seconds$/);
    // The second boot's final line, not the first's.
    const [, second] = [...rebooted.matchAll(/Cloud-init v\. \S+ finished at [^\r\n]*/g)].map(
      (m) => m[0],
    );
    assert.ok(tail.at(-1)!.endsWith(second));
  });

  it("name cloud-init's errors, sshd's and the kernel's failures, screened and escaped", () => {
    const pem = ed25519().private;
    const log = [
      "[    0.000000] Linux version 6.1.0-50-cloud-amd64 (debian-kernel@lists.debian.org)",
      "[   12.1] EXT4-fs error (device vda): ext4_lookup:1855: inode #2: comm systemd: deleted inode referenced",
      "[   20.3] sshd[401]: fatal: No supported key exchange algorithms [preauth]",
      `[   30.5] cloud-init[429]: 2026-12-06 WARNING: Invalid cloud-config provided: ${JSON.stringify({ ssh_keys: { ed25519_private: pem } })}`,
      "[   31.0] cloud-init[429]: 2026-12-06 ERROR: \x1b[31mscripts-user failed\x1b[0m",
      "[   33.0] some line of no interest",
      `[   40.0] cloud-init[429]: WARNING: ${"a long warning ".repeat(40)}`,
    ].join("\r\n");
    const tail = consoleTail(log);
    assert.equal(tail.length, 5, tail.join("\n"));
    assert.match(tail[0], /EXT4-fs error/);
    assert.match(tail[1], /sshd\[401\]: fatal/);
    // The private key quoted in a warning never shows, whole or in part.
    assert.match(tail[2], /\[secret\]/);
    for (const line of pem.split("\n").filter((l) => l.length > 8))
      assert.ok(!tail.join("\n").includes(line), line);
    assert.ok(!tail.join("\n").includes("PRIVATE KEY"));
    assert.match(tail[3], /\\x1b\[31mscripts-user failed\\x1b\[0m/);
    assert.ok(tail[4].length <= 241 && tail[4].endsWith("…"));
  });

  it("screens a key quoted with its line breaks escaped, and long base64 such as a token", () => {
    const quoted = JSON.stringify(ed25519().private).slice(1, -1);
    // The key's last escaped line break stays: it is no secret.
    assert.equal(screenConsoleLine(`WARNING: ${quoted}`), "WARNING: [secret]\\n");
    assert.equal(
      screenConsoleLine(`GET ?sig=${"Ab1+".repeat(16)}= done`),
      "GET ?sig=[secret] done",
    );
  });
});

describe("the wait with a console", () => {
  const user = ed25519();

  /** The loop on a fake clock; attempts are scripted, the console is read from `reads` in turn (the last stays). */
  async function waitWithConsole(
    options: Record<string, unknown>,
    reads: ConsoleRead[],
    attempt: (pin: string | undefined) => AttemptOutcome,
  ) {
    const clock = new FakeClock();
    const opts = resolveOptions({
      host: "203.0.113.7",
      username: "azureuser",
      privateKey: user.private,
      level: "auth",
      timeout: 20,
      serialLog: "/dev/null",
      ...options,
    });
    const outcomes: string[] = [];
    const pins: (string | undefined)[] = [];
    let read = 0;
    const promise = runWait(opts, {
      clock,
      onAttempt: (e) => outcomes.push(e.outcome),
      attempt: async (attemptOpts) => {
        clock.t += 1;
        pins.push(attemptOpts.pin?.describe());
        return attempt(attemptOpts.pin?.describe());
      },
      readConsole: async () => reads[Math.min(read++, reads.length - 1)],
    });
    const settled = await promise.then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    return { ...settled, outcomes, pins };
  }

  const refused = REFUSED;
  const ready: AttemptOutcome = {
    ...refused,
    ok: true,
    reached: "auth",
    failure: undefined,
    detail: "ok",
  };
  const source = "serial log /var/lib/vm/serial.log";

  it('with hostKeyPin "console", connects only once this boot shows its host keys, and pins them', async () => {
    const keys = consoleHostKeys(firstBoot)!;
    // The first boot as it is written: no record before cloud-init's final stage, then the record.
    const beforeRecord = firstBoot.slice(0, firstBoot.indexOf(KEYS_BEGIN));
    const run = await waitWithConsole(
      { hostKeyPin: "console" },
      [
        { source, unavailable: "no such file" },
        { source, text: beforeRecord },
        { source, text: firstBoot },
      ],
      () => ready,
    );
    assert.ok("result" in run, String((run as { error?: unknown }).error));
    assert.deepEqual(run.outcomes, ["no-console-keys", "no-console-keys", "ready"]);
    // The attempt that connected had exactly the console's keys as its pin.
    assert.deepEqual(run.pins, [keys.map((k) => `${k.type} ${k.fingerprint}`).join(", ")]);
  });

  it("says the console never showed the keys, and made no connection, when it never does", async () => {
    const run = await waitWithConsole(
      { hostKeyPin: ["console"] },
      [{ source, text: firstBoot.slice(0, firstBoot.indexOf(KEYS_BEGIN)) }],
      () => ready,
    );
    assert.ok("error" in run);
    const error = run.error as SshNotReadyError;
    assert.equal(run.pins.length, 0, "no attempt connected");
    assert.match(
      error.message,
      /^no host key of 203\.0\.113\.7:22 could be verified: the console never showed this boot's host keys, so no connection was made: \d+ × no host keys on the console yet over 20\.0s/,
    );
    assert.match(
      error.message,
      /Last error: the serial log \/var\/lib\/vm\/serial\.log shows no host keys for this boot yet/,
    );
  });

  it("after a reboot, says the console's keys are an earlier boot's, and trusts none", async () => {
    const run = await waitWithConsole(
      { hostKeyPin: "console" },
      [{ source, text: rebooted }],
      () => ready,
    );
    assert.equal(run.pins.length, 0, "no attempt connected");
    assert.match(
      (run as { error: Error }).error.message,
      /Last error: the serial log \/var\/lib\/vm\/serial\.log shows host keys for an earlier boot only: cloud-init prints them on an instance's first boot, not after a reboot \(pin the key an earlier wait verified\)/,
    );
  });

  it("gives up with the console's lines that matter, or one line on why there are none", async () => {
    const withTail = await waitWithConsole({}, [{ source, text: rebooted }], () => refused);
    const error = (withTail as { error: SshNotReadyError }).error;
    assert.ok(error instanceof SshNotReadyError);
    const tail = consoleTail(rebooted);
    assert.deepEqual(error.console, { source, tail });
    assert.ok(
      error.message.endsWith(
        `\nThe VM's console (${source}), this boot's last lines that matter:\n${tail.map((l) => `  | ${l}`).join("\n")}`,
      ),
      error.message,
    );
    assert.deepEqual((error.toJSON() as { console: unknown }).console, { source, tail });

    const missing = await waitWithConsole(
      {},
      [{ source, unavailable: "no such file" }],
      () => refused,
    );
    const second = (missing as { error: SshNotReadyError }).error;
    assert.ok(second.message.startsWith("sshd on 203.0.113.7:22 never answered: "));
    assert.ok(
      second.message.endsWith(`\nThe VM's console could not be read (${source}: no such file).`),
      second.message,
    );
  });
});

describe("the console read of a wait that gives up", () => {
  const user = ed25519();
  const opts = () =>
    resolveOptions({
      host: "203.0.113.7",
      username: "azureuser",
      privateKey: user.private,
      level: "auth",
      timeout: 5,
      serialLog: "/dev/null",
    });
  const refused = async (): Promise<AttemptOutcome> => REFUSED;

  it(`gets ${CONSOLE_READ_MS / 1000} s at most after the deadline: then one line says the console did not answer`, async () => {
    const clock = new FakeClock();
    let deadlineAt = 0;
    const error = await runWait(opts(), {
      clock,
      attempt: refused,
      // A console that answers only when told to stop: time passes (as the clock says) until the limit.
      readConsole: async (signal) => {
        deadlineAt = clock.t;
        await clock.sleep(60_000);
        assert.ok(signal?.aborted, "the read was told to stop");
        return { source: "boot diagnostics of vm", unavailable: "stopped waiting for Azure" };
      },
    }).catch((e: unknown) => e);
    assert.ok(error instanceof SshNotReadyError);
    assert.equal(deadlineAt, 5000);
    assert.ok(
      error.message.endsWith(
        `\nThe VM's console could not be read (boot diagnostics of vm: no answer in ${CONSOLE_READ_MS / 1000} s).`,
      ),
      error.message,
    );
  });

  it("ends at once on abort, with the signal's reason, not a give-up", async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const reason = new Error("Ctrl-C");
    const error = await runWait(opts(), {
      clock,
      signal: controller.signal,
      attempt: refused,
      readConsole: (signal) =>
        new Promise((resolve) => {
          signal?.addEventListener("abort", () =>
            resolve({ source: "boot diagnostics of vm", unavailable: "stopped waiting for Azure" }),
          );
          controller.abort(reason);
        }),
    }).catch((e: unknown) => e);
    assert.equal(error, reason);
  });
});

describe("a serial log file", () => {
  it("is read as it is now, and says why when it cannot be", async () => {
    const dir = mkdtempSync(join(tmpdir(), "serial-log-"));
    try {
      const path = join(dir, "serial.log");
      const read = serialLogReader(path);
      assert.deepEqual(await read(), { source: `serial log ${path}`, unavailable: "no such file" });
      writeFileSync(path, "first line\r\n");
      assert.equal((await read()).text, "first line\r\n");
      writeFileSync(path, "first line\r\nsecond line\r\n");
      assert.equal((await read()).text, "first line\r\nsecond line\r\n");
      assert.deepEqual(await serialLogReader(dir)(), {
        source: `serial log ${dir}`,
        unavailable: "a directory, not a file",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the options", () => {
  const key = ed25519().private;
  it('refuses hostKeyPin "console" without serialLog, and for the jump host, before any connection', () => {
    assert.throws(
      () =>
        resolveOptions({
          host: "203.0.113.7",
          username: "u",
          privateKey: key,
          hostKeyPin: "console",
        }),
      /^InvalidOptionError: \[hostKeyPin\] "console" reads the host keys from the VM's console: give its log as \[serialLog\], or the VM as \[azureVmId\]$/,
    );
    assert.throws(
      () =>
        resolveOptions({
          host: "203.0.113.7",
          username: "u",
          privateKey: key,
          serialLog: "/tmp/x",
          hostKeyPin: "console",
          level: "tcp",
        }),
      /\[hostKeyPin\] is checked during login/,
    );
    assert.throws(
      () =>
        resolveOptions({
          host: "203.0.113.7",
          username: "u",
          privateKey: key,
          serialLog: "/tmp/x",
          jumpHost: { host: "203.0.113.8", username: "u", hostKeyPin: "console" },
        }),
      /\[jumpHost\.hostKeyPin\] is neither a SHA256: fingerprint nor an OpenSSH public key line: "console"/,
    );
    assert.throws(
      () => resolveOptions({ host: "203.0.113.7", serialLog: "" }),
      /^InvalidOptionError: \[serialLog\] must be a file's path$/,
    );
  });
});
