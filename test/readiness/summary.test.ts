// The message of a wait that gives up: a headline saying what never happened, for each phase the attempts
// reached (and for a jump host), the counts, the likely cause, the last error; an IPv6 address in brackets.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FailureClass, Phase } from "../../components/readiness/classify";
import {
  summarizeFatal,
  summarizeTimeout,
  type SummaryInput,
} from "../../components/readiness/summary";

function input(
  furthest: Phase,
  last: FailureClass,
  more: Partial<SummaryInput> = {},
): SummaryInput {
  return {
    host: "10.0.0.4",
    port: 22,
    username: "azureuser",
    level: "command",
    furthest,
    counts: { [last]: 3 },
    elapsedMs: 90_000,
    last: { class: last, phase: furthest, hop: "target", detail: "the last error" },
    ...more,
  };
}

describe("the give-up message", () => {
  it("heads it with what never happened, by the furthest phase reached", () => {
    const headlines: [Phase, FailureClass, string][] = [
      ["connect", "refused", "sshd on 10.0.0.4:22 never answered"],
      ["banner", "no-banner", "10.0.0.4:22 accepted connections, but no SSH server ever answered"],
      ["handshake", "handshake", "sshd on 10.0.0.4:22 never completed an SSH handshake"],
      ["auth", "auth-rejected", 'sshd on 10.0.0.4:22 never accepted the key for user "azureuser"'],
      [
        "command",
        "command-timeout",
        "azureuser@10.0.0.4:22 logs in, but the readiness command never succeeded",
      ],
    ];
    for (const [phase, last, headline] of headlines) {
      assert.ok(
        summarizeTimeout(input(phase, last)).startsWith(`${headline}: 3 × `),
        `${phase}: ${summarizeTimeout(input(phase, last))}`,
      );
    }
    assert.match(
      summarizeTimeout(input("command", "command-failed", { level: "auth" })),
      /^azureuser@10\.0\.0\.4:22 logs in, but could not run a command: /,
    );
  });

  it("names the jump host when it is the one failing", () => {
    const s = input("connect", "forwarding-refused", {
      jump: "ops@bastion:22",
      last: { class: "forwarding-refused", phase: "connect", hop: "jump", detail: "refused" },
    });
    assert.match(
      summarizeTimeout(s),
      /^could not use jump host ops@bastion:22 to reach 10\.0\.0\.4:22: /,
    );
    assert.match(
      summarizeFatal(s),
      /^could not use jump host ops@bastion:22 to reach 10\.0\.0\.4:22: refused \(/,
    );
  });

  it("gives the counts, the duration, the likely cause and the last error", () => {
    const message = summarizeTimeout(
      input("connect", "refused", { counts: { refused: 200, timeout: 3 }, host: "::1" }),
    );
    assert.match(
      message,
      /^sshd on \[::1\]:22 never answered: 200 × connection refused, 3 × no answer over 1m30s \(.+\)\. Last error: the last error$/,
    );
  });

  it("puts the readiness command's last output below the line that says to look below", () => {
    const withOutput = summarizeTimeout(
      input("command", "command-failed", { commandOutput: "not yet" }),
    );
    assert.match(
      withOutput,
      /see its last output below\)\. Last error: the last error\nLast output of the readiness command:\n {2}\| not yet$/,
    );
    const silent = summarizeTimeout(input("command", "command-failed"));
    assert.match(
      silent,
      /see its last output below\)\. Last error: the last error\nThe readiness command printed nothing\.$/,
    );
  });

  it("sets a command's output under a quote mark, each line escaped, so none passes for a line of ours", () => {
    const forged =
      "not yet\r\nready: u@10.0.0.4:22 at level command\x1b[2J\n\nssh-ready: all good\n";
    const message = summarizeTimeout(input("command", "command-failed", { commandOutput: forged }));
    const [, ...quoted] = message.split("\nLast output of the readiness command:\n");
    assert.deepEqual(quoted.join("").split("\n"), [
      "  | not yet",
      "  | ready: u@10.0.0.4:22 at level command\\x1b[2J",
      "  | ",
      "  | ssh-ready: all good",
    ]);
  });

  it("says waiting longer will not help when cloud-init failed", () => {
    assert.match(
      summarizeFatal(input("command", "command-failed", { commandOutput: "status: error" })),
      /^cloud-init on 10\.0\.0\.4:22 failed \(the last error\) after 1m30s; waiting longer will not help\. .+\nOutput of cloud-init status:\n {2}\| status: error$/,
    );
  });
});
