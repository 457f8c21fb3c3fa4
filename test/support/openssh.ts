// The OpenSSH tests' skip policy. The sshd harness itself (tools/simulator/openssh.ts) is shared with the demo
// and the benchmark; whether a test may skip is the tests' own rule.
import { existsSync } from "node:fs";
import { SSHD } from "../../tools/simulator/openssh";

/**
 * Whether OpenSSH tests can run. On a developer machine without sshd they are skipped with a loud notice;
 * under CI (CI=true) a missing sshd is a failure, never a skip.
 */
export function opensshSkipReason(): string | false {
  if (existsSync(SSHD)) return false;
  if (process.env.CI === "true") {
    throw new Error(`${SSHD} is missing: CI must install openssh-server (.ci/run does)`);
  }
  const notice = `SKIPPED: the OpenSSH tests need ${SSHD}: apt-get install openssh-server`;
  process.stderr.write(`\n*** ${notice} ***\n\n`);
  return notice;
}
