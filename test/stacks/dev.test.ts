// The dev stack under mocks: one ready VM and one command that runs after readiness, host key pinned.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { devProgram } from "../../stacks/dev";
import { isSecret } from "../support/pulumi-mocks";
import { mockStack, settle, type StackRun } from "../support/stack-mocks";

describe("dev stack", () => {
  let run: StackRun;
  let outputs: ReturnType<typeof devProgram>;
  before(async () => {
    run = await mockStack("dev", {
      allowedSshSourceCidrs: JSON.stringify(["203.0.113.4/32"]),
      location: "northeurope",
    });
    outputs = devProgram();
    await settle(outputs);
  });

  it("builds one public VM in the configured region, SSH open only to the configured source", () => {
    assert.equal(run.byName("dev-vm").inputs.location, "northeurope");
    const [rule] = run.byName("dev-nsg").inputs.securityRules as Record<string, unknown>[];
    assert.equal(rule.sourceAddressPrefix, "203.0.113.4/32");
  });

  it("runs its command after readiness, pinned to the verified host key", () => {
    assert.ok(
      run.registration("dev-hello").dependencies.includes(run.registration("dev-ready").urn),
    );
    const connection = run.byName("dev-hello").inputs.connection;
    assert.ok(isSecret(connection));
    const { hostKey, host } = connection.value as Record<string, string>;
    assert.equal(host, "20.1.2.3");
    assert.match(hostKey, /^ssh-ed25519 /);
  });

  it("exports the host, the known_hosts line and the connection, the connection secret", async () => {
    assert.equal(await pulumi.isSecret(outputs.connection), true);
    assert.equal(await pulumi.isSecret(outputs.knownHostsLine), false);
    const line = await new Promise<string | undefined>((resolve) =>
      outputs.knownHostsLine.apply(resolve),
    );
    assert.match(line ?? "", /^20\.1\.2\.3 ssh-ed25519 /);
  });
});
