// What each failed attempt means. Attempts are classified from socket error codes, ssh2's `err.level`
// and what the attempt itself observed (phase reached, banner seen, host key verdict), never from message text.

/** How far an attempt got: TCP connect, waiting for the banner, key exchange, authentication, command. */
export type Phase = "connect" | "banner" | "handshake" | "auth" | "command";

export const PHASES: readonly Phase[] = ["connect", "banner", "handshake", "auth", "command"];

export function phaseRank(phase: Phase): number {
  return PHASES.indexOf(phase);
}

/** Why an attempt failed. */
export type FailureClass =
  | "refused"
  | "timeout"
  | "unreachable"
  | "dns"
  | "reset"
  | "no-banner"
  | "not-ssh"
  | "handshake"
  | "auth-rejected"
  | "host-key-mismatch"
  | "command-failed"
  | "command-timeout"
  | "previous-boot"
  | "no-console-keys"
  | "forwarding-refused";

interface ClassInfo {
  /** Short label for progress lines: "connection refused". */
  label: string;
  /** What it usually means while a VM boots. */
  meaning: string;
  /** What to check when the wait ends on it. */
  hint: string;
  /** Whether a retry costs the server something (then we retry politely). */
  costsServer: boolean;
}

export const CLASS_INFO: Record<FailureClass, ClassInfo> = {
  refused: {
    label: "connection refused",
    meaning: "sshd not listening yet",
    hint: "port closed: sshd not running yet, or the VM did not boot — check boot diagnostics",
    costsServer: false,
  },
  timeout: {
    label: "no answer",
    meaning: "packets dropped",
    hint: "nothing answered: a firewall or network security group drops the port, no route to the VM, or the wrong IP address",
    costsServer: false,
  },
  unreachable: {
    label: "host unreachable",
    meaning: "no route to the host",
    hint: "no route to the host: check the address, the VM's network and any VPN or peering",
    costsServer: true,
  },
  dns: {
    label: "name not resolvable",
    meaning: "DNS has no address for the host yet",
    hint: "the host name does not resolve: check the name, or wait for its DNS record to be created",
    costsServer: true,
  },
  reset: {
    label: "connection closed",
    meaning: "sshd accepted and closed (starting, restarting, or MaxStartups)",
    hint: "sshd accepted connections but closed them: it is starting or restarting, generating host keys, or refusing because of MaxStartups or a ban (fail2ban)",
    costsServer: true,
  },
  "no-banner": {
    label: "no SSH banner",
    meaning: "port open but silent",
    hint: "the port accepts connections but never sends an SSH banner: sshd hangs (socket activation, DNS lookups of clients) or a proxy holds the connection",
    costsServer: true,
  },
  "not-ssh": {
    label: "not SSH",
    meaning: "something other than sshd answered",
    hint: "something other than an SSH server answers on this port: check the port number",
    costsServer: true,
  },
  handshake: {
    label: "handshake failed",
    meaning: "key exchange did not complete",
    hint: "the SSH key exchange failed: the server and client share no algorithm, the server sent a malformed or out-of-order message, or it closed during key exchange",
    costsServer: true,
  },
  "auth-rejected": {
    label: "key not accepted",
    meaning: "authorized_keys not written yet, or wrong user or key",
    hint: "sshd answers but does not accept the key: the user or its authorized_keys is not provisioned yet (cloud-init still running), or the user name or key is wrong",
    costsServer: true,
  },
  "host-key-mismatch": {
    label: "host key mismatch",
    meaning: "the server's key is not the pinned one",
    hint: "the server presented a host key that is not pinned: a different machine answers at this address, or the pin is out of date",
    costsServer: true,
  },
  "command-failed": {
    label: "command failed",
    meaning: "logged in; the readiness command did not succeed yet",
    hint: "login works but the readiness command did not succeed: see its last output below",
    costsServer: true,
  },
  "command-timeout": {
    label: "command timed out",
    meaning: "logged in; the readiness command is still running",
    hint: "login works but the readiness command did not finish in time (cloud-init still running?): raise the command timeout or the overall timeout",
    costsServer: true,
  },
  "previous-boot": {
    label: "still the previous boot",
    meaning: "the machine has not gone down for its reboot yet",
    hint: "sshd answered on the boot to wait past (afterBoot, --after-boot) until the end: the machine did not reboot (was the reboot started, and is the boot id the one from before it?)",
    costsServer: true,
  },
  "no-console-keys": {
    label: "no host keys on the console yet",
    meaning:
      "cloud-init has not printed this boot's host keys on the console yet (it does so near its end)",
    hint: "the console never showed this boot's host keys between cloud-init's SSH HOST KEY KEYS lines: is the log this VM's and still being written, and does cloud-init run its keys_to_console module?",
    costsServer: false,
  },
  "forwarding-refused": {
    label: "jump host refuses forwarding",
    meaning: "the jump host does not allow TCP forwarding",
    hint: "the jump host refuses to open TCP connections for us (AllowTcpForwarding no, or a PermitOpen rule)",
    costsServer: true,
  },
};

const SOCKET_CODES: Record<string, FailureClass> = {
  ECONNREFUSED: "refused",
  ETIMEDOUT: "timeout",
  EHOSTUNREACH: "unreachable",
  ENETUNREACH: "unreachable",
  EHOSTDOWN: "unreachable",
  ENETDOWN: "unreachable",
  EADDRNOTAVAIL: "unreachable",
  ENOTFOUND: "dns",
  EAI_AGAIN: "dns",
  EAI_NONAME: "dns",
  EAI_FAIL: "dns",
  EAI_NODATA: "dns",
  ECONNRESET: "reset",
  EPIPE: "reset",
  ECONNABORTED: "reset",
};

/** Classifies a socket-level error (from `net`, or ssh2's `client-socket` level) by its code. */
export function classifySocketError(err: NodeJS.ErrnoException): FailureClass | undefined {
  if (err.syscall === "getaddrinfo" || err.syscall === "queryA") return "dns";
  return err.code ? SOCKET_CODES[err.code] : undefined;
}

/**
 * Classifies an OpenSSH "open failed" answer from a jump host. The SSH protocol carries only a reason code
 * (2 = connect failed for every cause) and the jump host's strerror text, so this is the one place that
 * reads text: the text is the only signal the protocol gives.
 */
export function classifyForwardFailure(reason: unknown, description: string): FailureClass {
  if (reason === 1) return "forwarding-refused";
  if (/refused/i.test(description)) return "refused";
  if (/timed out/i.test(description)) return "timeout";
  if (/resolve|not known|name/i.test(description)) return "dns";
  return "unreachable";
}
