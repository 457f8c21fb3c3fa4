// The image stack's capture on a real VM (tools/real-vm): a build VM booted with the component's custom data and
// Debian's Azure VM agent installed, provisioned, cleaned by stacks/scripts/capture-cleanup.sh as shipped, powered
// off; its disk searched byte by byte; then the same disk booted again as a new instance with a new seed.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { waitForSsh } from "../../components/readiness";
import { script } from "../../stacks/image";
import { RealVm, imageDir, realVmSkipReason, removeKeptDisk } from "../../tools/real-vm/vm";
import { ed25519 } from "../support/keys";
import {
  byType,
  componentData,
  foundOnDisk,
  hostKeys,
  Login,
  privateKeyBodies,
  windows,
  type ComponentData,
} from "../support/real-vm";

const builder = ed25519();
const newcomer = ed25519();
/** A value only the build's user data carries (in a comment: cloud-init writes it nowhere but its own state). */
const dataMarker = `build-data-${randomBytes(12).toString("hex")}`;
/** A value only the build's shell histories record. */
const historyMarker = `build-history-${randomBytes(12).toString("hex")}`;

/** ovf-env.xml as Azure's provisioning leaves it in /var/lib/waagent (the agent's own parser reads it). */
const ovfEnv = (user: string, publicKey: string) => `<?xml version="1.0" encoding="utf-8"?>
<Environment xmlns="http://schemas.dmtf.org/ovf/environment/1" xmlns:oe="http://schemas.dmtf.org/ovf/environment/1" xmlns:wa="http://schemas.microsoft.com/windowsazure" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
  <wa:ProvisioningSection>
    <wa:Version>1.0</wa:Version>
    <LinuxProvisioningConfigurationSet xmlns="http://schemas.microsoft.com/windowsazure" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
      <ConfigurationSetType>LinuxProvisioningConfiguration</ConfigurationSetType>
      <HostName>image-build</HostName>
      <UserName>${user}</UserName>
      <DisableSshPasswordAuthentication>true</DisableSshPasswordAuthentication>
      <SSH>
        <PublicKeys>
          <PublicKey>
            <Fingerprint>0</Fingerprint>
            <Path>/home/${user}/.ssh/authorized_keys</Path>
            <Value>${publicKey.trim()}</Value>
          </PublicKey>
        </PublicKeys>
      </SSH>
    </LinuxProvisioningConfigurationSet>
  </wa:ProvisioningSection>
  <wa:PlatformSettingsSection>
    <wa:Version>1.0</wa:Version>
    <wa:PlatformSettings>
      <wa:ProvisionGuestAgent>true</wa:ProvisionGuestAgent>
    </wa:PlatformSettings>
  </wa:PlatformSettingsSection>
</Environment>
`;

/**
 * The provisioning step: the default script runs apt against the internet, which the VM cannot reach; this one
 * changes the image the same way a provisioning does (a file under /etc), and leaves shell histories behind.
 */
const PROVISION = `set -eu
echo "provisioned by the image build" > /etc/image-provisioned
echo "echo ${historyMarker}" > /root/.bash_history
echo "echo ${historyMarker}" > "/home/$SUDO_USER/.bash_history"`;

describe("the image capture on a real VM", { skip: realVmSkipReason() }, () => {
  let build: ComponentData;
  let instance: ComponentData;
  let disk: string;
  let secrets: string[];
  let keyRuns: string[][];
  let before_: string[];
  let after_: string[];
  let vm: RealVm | undefined;
  let login: Login | undefined;

  before(async () => {
    build = await componentData(
      "build",
      builder.private,
      `#cloud-config\n# ${dataMarker}\nwrite_files:\n  - path: /etc/build-note\n    content: the build\n`,
      "builder",
    );
    const buildVm = await RealVm.boot({
      seed: { userData: build.userData, adminUsername: "builder", adminPublicKey: builder.public },
    });
    vm = buildVm;
    disk = buildVm.keep();
    await waitForSsh({
      host: buildVm.address,
      username: "builder",
      privateKey: builder.private,
      hostKeyPin: build.pins,
      level: "command",
      timeout: "10m",
    });
    login = new Login(buildVm.address, "builder", builder.private, build.pins);
    // What Azure's provisioning leaves, and the provisioning step, run as the image stack runs its steps.
    await login.ok(
      "sudo sh -c 'mkdir -p /var/lib/waagent && cat > /var/lib/waagent/ovf-env.xml'",
      ovfEnv("builder", builder.public),
    );
    await login.ok("sudo sh -s", PROVISION);
    // What the search looks for: the build's host private keys (in the custom data) and the markers; not the
    // runs the image itself holds before any boot (every OpenSSH key of a type starts alike, and cloud-init's
    // documentation holds an example key).
    const candidates = [...windows(privateKeyBodies(build.userData)), dataMarker, historyMarker];
    const inImage = new Set(await foundOnDisk(join(imageDir()!, "root.img"), candidates));
    secrets = candidates.filter((run) => !inImage.has(run));
    keyRuns = privateKeyBodies(build.userData).map((body) =>
      windows([body]).filter((r) => !inImage.has(r)),
    );
    assert.equal(
      privateKeyBodies(build.userData).length,
      3,
      "the custom data holds three host private keys",
    );
    // The search works on this disk: before the cleanup it finds them.
    await login.ok("sync");
    const copy = `${disk}.before`;
    execFileSync("cp", ["--sparse=always", buildVm.disk, copy]);
    try {
      before_ = await foundOnDisk(copy, secrets);
    } finally {
      execFileSync("rm", ["-f", copy]);
    }
    // The capture step as the image stack runs it, `sudo sh -s` with the script on stdin; then power off (on
    // Azure: deallocate and generalize) from the same sudo, since the admin user and its sudo rule are gone.
    const cleaned = await login.run(
      `sudo sh -c 'sh -s && { nohup sh -c "sleep 2; systemctl poweroff" >/dev/null 2>&1 & }'`,
      script("capture-cleanup"),
    );
    assert.equal(cleaned.code, 0, cleaned.stderr + cleaned.stdout);
    login.dispose();
    login = undefined;
    await buildVm.poweredOff(120_000);
    await buildVm.dispose();
    vm = undefined;
    after_ = await foundOnDisk(disk, secrets);
    // The image's first instance: the same disk, a new seed (new instance, new admin, new custom data).
    instance = await componentData("instance", newcomer.private, undefined, "newcomer");
    vm = await RealVm.boot({
      disk,
      seed: {
        userData: instance.userData,
        adminUsername: "newcomer",
        adminPublicKey: newcomer.public,
      },
    });
    login = new Login(vm.address, "newcomer", newcomer.private, instance.pins);
  });
  after(async () => {
    login?.dispose();
    await vm?.dispose();
    if (disk) removeKeptDisk(disk);
  });

  it("leaves none of the build's host private keys, custom data or shell history on the disk", () => {
    assert.ok(before_.includes(dataMarker), "before the cleanup, the search finds the custom data");
    assert.ok(
      before_.includes(historyMarker),
      "before the cleanup, the search finds the histories",
    );
    for (const [i, runs] of keyRuns.entries())
      assert.ok(
        runs.some((run) => before_.includes(run)),
        `before the cleanup, the search finds host key ${i + 1}`,
      );
    assert.deepEqual(
      after_,
      [],
      "after the cleanup and power-off, no run of a secret is on the disk",
    );
  });

  it("boots as a new instance: new host keys (the new pins), cloud-init ran again", async () => {
    await waitForSsh({
      host: vm!.address,
      username: "newcomer",
      privateKey: newcomer.private,
      hostKeyPin: instance.pins,
      level: "command",
      timeout: "10m",
    });
    const served = await hostKeys(vm!.address);
    assert.deepEqual(served, byType(instance.pins));
    for (const old of Object.values(byType(build.pins)))
      assert.ok(
        !Object.values(served).includes(old),
        `the build's key ${old.split(" ")[0]} is not served`,
      );
    assert.match(await login!.ok("cloud-init status"), /^status: done$/m);
    assert.match(await login!.ok("cat /etc/image-provisioned"), /provisioned by the image build/);
  });

  it("has no build admin user, home or authorized key, and no shell history", async () => {
    assert.notEqual((await login!.run("id builder")).code, 0, "the build's admin user is gone");
    assert.equal(
      (await login!.ok("sudo -n sh -c 'ls -a /home; ls -a /root'")).includes("builder"),
      false,
    );
    assert.equal((await login!.run("sudo -n test -e /root/.bash_history")).code, 1);
    const keys = await login!.ok(
      "sudo -n sh -c 'cat /home/*/.ssh/authorized_keys /root/.ssh/authorized_keys 2>/dev/null'",
    );
    assert.ok(
      !keys.includes(builder.public.split(" ")[1]),
      "the build's admin key is not authorized anywhere",
    );
  });
});
