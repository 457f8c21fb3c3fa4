"""Runs Debian's cloud-init package on user data, for the tests: cloud-init's own code is the judge.

Run with /usr/bin/python3 (cloud-init's modules live in Debian's dist-packages).

  read             stdin: user data (text). Prints JSON: the parts cloud-init's UserDataProcessor makes, the
                   config its cloud-config part handler merges (and writes), the schema validator's errors and
                   deprecations for that config, and every WARNING cloud-init logged meanwhile.
  apply CONFIG     runs cloud-init's `ssh` module (cc_ssh) on the merged config in CONFIG (JSON), then the
                   Azure VM agent's cloud-init provisioning wait for the SSH host key. Prints JSON: the host
                   key files in /etc/ssh and the agent's thumbprint. Only ever run inside a private mount
                   namespace whose /etc/ssh and /root are scratch directories (test/support/cloud-init.ts).
"""
import json
import logging
import os
import sys
import tempfile


class Warnings(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def capture_warnings():
    handler = Warnings()
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.DEBUG)
    return handler


class FakeDatasource:
    """What the part handler and cc_ssh ask of a datasource: an instance ID, published keys."""

    def __init__(self):
        self.published = None

    def get_instance_id(self):
        return "iid-vm-with-ready-ssh-test"

    def publish_host_keys(self, keys):
        self.published = [list(k) for k in keys]


def read(blob):
    from cloudinit import handlers, helpers, user_data
    from cloudinit.config.schema import (
        SchemaValidationError,
        get_schema,
        validate_cloudconfig_schema,
    )
    from cloudinit.handlers.cloud_config import CloudConfigPartHandler
    from cloudinit.settings import PER_ALWAYS

    warnings = capture_warnings()
    with tempfile.TemporaryDirectory() as scratch:
        paths = helpers.Paths({"cloud_dir": scratch, "run_dir": scratch}, ds=FakeDatasource())
        message = user_data.UserDataProcessor(paths).process(blob)
        parts = []
        handler = CloudConfigPartHandler(paths)
        handler.handle_part(None, handlers.CONTENT_START, None, None, None, None)
        for part in message.walk():
            if part.is_multipart():
                continue
            ctype = part.get_content_type()
            payload = part.get_payload(decode=True).decode("utf-8")
            parts.append({"type": ctype, "text": payload})
            if ctype in ("text/cloud-config", "text/cloud-config-jsonp"):
                handler.handle_part(
                    None, ctype, part.get_filename() or "part", payload, PER_ALWAYS, dict(part)
                )
        merged = handler.cloud_buf
        handler.handle_part(None, handlers.CONTENT_END, None, None, None, None)
        written = open(paths.get_ipath("cloud_config")).read()

    errors, deprecations = [], []
    if merged is not None:
        try:
            validate_cloudconfig_schema(merged, get_schema(), strict=True, log_details=False)
        except SchemaValidationError as error:
            errors = [f"{path}: {text}" for path, text in error.schema_errors]
            deprecations = [f"{path}: {text}" for path, text in error.schema_deprecations]
    return {
        "parts": parts,
        "merged": merged,
        "written": written,
        "schemaErrors": errors,
        "schemaDeprecations": deprecations,
        "warnings": warnings.lines,
    }


def apply(config):
    from cloudinit import distros, helpers
    from cloudinit.config import cc_ssh

    # Never on the machine's own /etc/ssh: the caller bind-mounts scratch directories there.
    if not os.path.exists("/etc/ssh/.vm-with-ready-ssh-sandbox"):
        raise SystemExit("refusing to run: /etc/ssh is not the test's sandbox")

    class Cloud:
        def __init__(self, scratch):
            self.paths = helpers.Paths({"cloud_dir": scratch, "run_dir": scratch})
            self.datasource = FakeDatasource()
            self.distro = distros.fetch("debian")("debian", {}, self.paths)

        def get_public_ssh_keys(self):
            return []

    warnings = capture_warnings()
    with tempfile.TemporaryDirectory() as scratch:
        cloud = Cloud(scratch)
        cc_ssh.handle("ssh", config, cloud, logging.getLogger("cc_ssh"), [])

    # The Azure VM agent, provisioned by cloud-init, reports the VM ready once this key file exists.
    from azurelinuxagent.common import conf
    from azurelinuxagent.pa.provision.cloudinit import CloudInitProvisionHandler

    key_type = conf.get_ssh_host_keypair_type()
    try:
        thumbprint = CloudInitProvisionHandler().wait_for_ssh_host_key(max_retry=1)
        agent = {"keyType": key_type, "thumbprint": thumbprint}
    except Exception as error:  # the agent's ProvisionError: it would wait 30 minutes, then fail
        agent = {"keyType": key_type, "error": str(error)}

    files = {}
    for name in sorted(os.listdir("/etc/ssh")):
        if name.startswith("ssh_host_"):
            with open(os.path.join("/etc/ssh", name)) as handle:
                files[name] = handle.read()
    return {
        "files": files,
        "agent": agent,
        "published": cloud.datasource.published,
        "warnings": warnings.lines,
    }


def main():
    mode = sys.argv[1]
    if mode == "read":
        result = read(sys.stdin.read())
    elif mode == "apply":
        with open(sys.argv[2]) as handle:
            result = apply(json.load(handle))
    else:
        raise SystemExit(f"unknown mode {mode}")
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
