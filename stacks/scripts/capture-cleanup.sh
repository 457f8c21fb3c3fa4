#!/bin/sh
# Runs on the build VM, as root, last thing before capture: removes what must not be in the image (the build's
# secrets and the VM's identity), deprovisions with the Azure VM agent, then discards the freed blocks, so that
# a block-level capture of the disk holds none of what was removed. Every path hangs off $ROOT (empty on the VM)
# so a test can run this against a fake root tree with stub commands.
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

# Every other copy of the custom data: the Azure VM agent's, and the provisioning ISO's it copied. Not
# ovf-env.xml yet: the agent reads the admin user's name from it, and without it deletes no user.
rm -f "$ROOT"/var/lib/waagent/CustomData
rm -rf "$ROOT"/var/lib/cloud/seed/azure

# Every SSH host key: each VM made from the image must make its own.
rm -f "$ROOT"/etc/ssh/ssh_host_*

# Shell histories of root and every user.
rm -f "$ROOT"/root/.*_history "$ROOT"/home/*/.*_history

# root's authorized keys: cloud-init put the admin user's key there ("Please login as the user …"), and adds
# the next instance's without removing it, so the build's key would still authenticate as root.
rm -f "$ROOT"/root/.ssh/authorized_keys

# The admin user's sudo rule, written by cloud-init at provisioning (the agent removes only its own).
rm -f "$ROOT"/etc/sudoers.d/90-cloud-init-users

# The agent removes the admin user (and its home), its own state (ovf-env.xml included), DHCP leases and the
# root password. Without ovf-env.xml it deletes no user ("Skip delete user"): then the user this runs for under
# sudo (the admin user, as the image stack runs it) is deleted here.
waagent -deprovision+user -force
rm -f "$ROOT"/var/lib/waagent/ovf-env.xml
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] && id "$SUDO_USER" >/dev/null 2>&1; then
  echo "capture-cleanup: the agent left user $SUDO_USER: deleting it and its home" >&2
  # --force: the user is logged in (this session); userdel then warns, and may exit non-zero for a missing mail
  # spool. What counts is that the user is gone.
  userdel --force --remove "$SUDO_USER" || true
  if id "$SUDO_USER" >/dev/null 2>&1; then
    echo "capture-cleanup: could not delete user $SUDO_USER" >&2
    exit 1
  fi
fi

# `rm` frees blocks but leaves their content on the disk, and a capture copies blocks: discard every free block
# (Azure's managed disks honour TRIM). Where the disk takes no discard, overwrite the free space with zeros.
sync
if ! fstrim "$ROOT/"; then
  echo "capture-cleanup: fstrim is not supported here: zero-filling the free space instead" >&2
  dd if=/dev/zero of="$ROOT/zero.fill" bs=1M 2>/dev/null || true
  sync
  rm -f "$ROOT/zero.fill"
  sync
fi
