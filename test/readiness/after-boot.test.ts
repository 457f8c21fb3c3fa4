// Ready on a boot after a given one (issue 26): the boot id the readiness command ran on, read in its own
// session, and `afterBoot`, which makes the wait go on while the machine is still on that boot.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { SshNotReadyError, waitForSsh, type AttemptEvent } from "../../components/readiness";
import { resolveOptions } from "../../components/readiness/resolve";
import { diffReadiness } from "../../components/ssh-readiness/diff";
import { createReadiness } from "../../components/ssh-readiness/provider";
import { Ssh2Vm } from "../../tools/simulator/ssh2-vm";
import { OpenSshServer } from "../../tools/simulator/openssh";
import { ed25519 } from "../support/keys";
import { opensshSkipReason } from "../support/openssh";

const user = ed25519();
/** Short pauses: these waits are about which boot answers, not about pacing. */
const quick = { fastInterval: 0.05, politeInterval: 0.1, maxInterval: 0.2 };

describe("afterBoot, checked before any connection", () => {
  const base = {
    host: "127.0.0.1",
    username: "u",
    privateKey: user.private,
    level: "command" as const,
  };

  it("takes a boot id, lower-cased; empty or unset is any boot", () => {
    const id = randomUUID();
    assert.equal(resolveOptions({ ...base, afterBoot: id.toUpperCase() }).afterBoot, id);
    assert.equal(resolveOptions({ ...base, afterBoot: "" }).afterBoot, undefined);
    assert.equal(resolveOptions(base).afterBoot, undefined);
  });

  it("makes the readiness command's level the default", () => {
    const noLevel = { host: base.host, username: base.username, privateKey: base.privateKey };
    assert.equal(resolveOptions({ ...noLevel, afterBoot: randomUUID() }).level, "command");
    assert.equal(resolveOptions(noLevel).level, "auth");
  });

  it("refuses what is not a boot id, and a level that runs no command, naming the option", () => {
    assert.throws(() => resolveOptions({ ...base, afterBoot: "yesterday" }), {
      name: "InvalidOptionError",
      option: "afterBoot",
      message:
        '[afterBoot] must be a boot id like "0c5d4b4e-3f55-4c1f-9d7e-2b1f6a1c9e01" (cat /proc/sys/kernel/random/boot_id), or empty for any boot',
    });
    assert.throws(() => resolveOptions({ ...base, level: "auth", afterBoot: randomUUID() }), {
      message:
        '[afterBoot] needs level "command" (the boot id is read where the readiness command runs), not "auth"',
    });
  });
});

describe("the boot id, against real sshd on this machine", { skip: opensshSkipReason() }, () => {
  let sshd: OpenSshServer;
  /** This machine's boot: what a shell on it reads. */
  const thisBoot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  before(async () => {
    sshd = new OpenSshServer();
    sshd.authorize(user.public);
    await sshd.start();
  });
  after(() => sshd.dispose());
  const target = () => ({
    host: "127.0.0.1",
    port: sshd.port,
    username: sshd.user,
    privateKey: user.private,
    level: "command" as const,
  });

  it("reports the boot the command ran on, and keeps the command's own output apart from it", async () => {
    const result = await waitForSsh({ ...target(), command: "echo first line; echo second" });
    assert.equal(result.bootId, thisBoot);
    // The output is the command's (with sshd's own stderr lines, when it has any), without the boot line.
    assert.equal(result.command?.exitCode, 0);
    assert.match(result.command?.output ?? "", /(^|\n)first line\nsecond$/);
    assert.doesNotMatch(result.command?.output ?? "", /ssh-ready boot/);
  });

  it("is SshReadiness's bootId output, and a new afterBoot is a new wait", async () => {
    const inputs = { ...target(), command: "true" };
    const { outs } = await createReadiness(inputs, { print: () => undefined });
    assert.equal(outs.bootId, thisBoot);
    assert.deepEqual(diffReadiness(outs, { ...inputs, afterBoot: thisBoot }).replaces, [
      "afterBoot",
    ]);
    // An empty afterBoot (a step that did not reboot) is no constraint: nothing to wait for again.
    assert.deepEqual(diffReadiness(outs, { ...inputs, afterBoot: "" }), {
      changes: false,
      replaces: [],
    });
  });

  it("is ready on another boot than afterBoot", async () => {
    const result = await waitForSsh({ ...target(), command: "true", afterBoot: randomUUID() });
    assert.equal(result.bootId, thisBoot);
  });

  it("never says ready on the boot given, and does not run the command there", async () => {
    const events: AttemptEvent[] = [];
    const marker = `${sshd.dir}/ran`;
    let started = 0;
    const error = await waitForSsh({
      ...target(),
      command: `touch ${marker}`,
      afterBoot: thisBoot,
      timeout: 2,
      schedule: quick,
      onAttempt: (event) => events.push(event),
      onCommandStart: () => started++,
    }).catch((e: unknown) => e);
    assert.ok(error instanceof SshNotReadyError, String(error));
    assert.ok(events.length >= 2);
    assert.ok(events.every((e) => e.outcome === "previous-boot"));
    assert.equal(events[0].detail, `on boot ${thisBoot}, the one to wait past`);
    assert.match(error.message, /still the previous boot/);
    assert.throws(() => readFileSync(marker), { code: "ENOENT" });
    assert.equal(started, 0, "no progress line says the command started");
  });
});

describe("a reboot, played by the in-process server", () => {
  let vm: Ssh2Vm;
  before(async () => {
    vm = await Ssh2Vm.create();
    await vm.startSshdWithoutKey();
    vm.writeKeys(user.public);
    vm.finishCloudInit(0);
  });
  after(() => vm.dispose());

  it("goes on while the old boot answers, and is ready on the new one with its id", async () => {
    const before = vm.bootId;
    const next = randomUUID();
    const events: AttemptEvent[] = [];
    const result = await waitForSsh({
      host: "127.0.0.1",
      port: vm.port,
      username: vm.user,
      privateKey: user.private,
      level: "command",
      afterBoot: before,
      timeout: 30,
      schedule: quick,
      onAttempt: (event) => {
        events.push(event);
        // The reboot happens once the old boot has been seen answering.
        if (event.outcome === "previous-boot") vm.bootId = next;
      },
    });
    assert.equal(result.bootId, next);
    assert.deepEqual(
      events.map((e) => e.outcome),
      ["previous-boot", "ready"],
    );
  });

  it("takes only a boot id's shape from the server: other bytes are no boot id, and never reach the result", async () => {
    // The other tests share this server: its boot id is put back whatever happens here.
    const bootId = vm.bootId;
    vm.bootId = "\x1b[31mred";
    try {
      const result = await waitForSsh({
        host: "127.0.0.1",
        port: vm.port,
        username: vm.user,
        privateKey: user.private,
        level: "command",
        timeout: 30,
      });
      assert.equal(result.bootId, undefined);
      assert.equal(result.command?.output, "status: done");
      assert.ok(!JSON.stringify(result).includes("\\u001b"), JSON.stringify(result));
    } finally {
      vm.bootId = bootId;
    }
  });
});
