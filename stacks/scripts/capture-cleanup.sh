#!/bin/sh
# Runs on the build VM, as root, last thing before capture: removes what must not be in the image (the build's
# secrets and the VM's identity), then deprovisions with the Azure VM agent. Every path hangs off $ROOT
# (empty on the VM) so a test can run this against a fake root tree with stub `cloud-init` and `waagent`.
set -eu
ROOT="${ROOT:-}"

# cloud-init's instance state and logs: user-data.txt there is the custom data, host private keys and all.
# Newer cloud-init also resets the machine ID, so clones do not share it.
if command -v cloud-init >/dev/null 2>&1; then
  if cloud-init clean --help 2>/dev/null | grep -q -- '--machine-id'; then
    cloud-init clean --logs --machine-id
  else
    cloud-init clean --logs
  fi
fi
rm -rf "$ROOT"/var/lib/cloud/instances "$ROOT"/var/lib/cloud/instance "$ROOT"/var/lib/cloud/data \
  "$ROOT"/var/lib/cloud/sem "$ROOT"/var/lib/cloud/handlers "$ROOT"/var/lib/cloud/scripts/per-instance
rm -f "$ROOT"/var/log/cloud-init.log "$ROOT"/var/log/cloud-init-output.log

# Every other copy of the custom data: the Azure VM agent's, and the provisioning ISO's it copied.
rm -f "$ROOT"/var/lib/waagent/CustomData "$ROOT"/var/lib/waagent/ovf-env.xml
rm -rf "$ROOT"/var/lib/cloud/seed/azure

# Every SSH host key: each VM made from the image must make its own.
rm -f "$ROOT"/etc/ssh/ssh_host_*

# Shell histories of root and every user.
rm -f "$ROOT"/root/.*_history "$ROOT"/home/*/.*_history

# The agent removes the admin user (and its home), DHCP leases and the root password.
waagent -deprovision+user -force
