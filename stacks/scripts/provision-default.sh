#!/bin/sh
# The image stack's default provisioning: all updates. cloud-init done is not apt free: unattended-upgrades
# and the apt timers may still hold apt's locks after boot, so wait for them instead of failing with
# "Could not get lock".
set -eu
# Wait up to 10 minutes for anyone holding the dpkg or apt lists locks; apt then waits on its own as well.
wait_for_apt() {
  for _ in $(seq 300); do
    sudo fuser /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock >/dev/null 2>&1 || return 0
    sleep 2
  done
  echo "apt is still locked after 10 minutes (unattended-upgrades?)" >&2
  return 1
}
wait_for_apt
sudo apt-get -o DPkg::Lock::Timeout=600 update
wait_for_apt
sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -y upgrade
