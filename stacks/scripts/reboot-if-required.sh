#!/bin/sh
# The image stack's step after provisioning: reboot when an update asks for it (/var/run/reboot-required), and
# print the boot being left, which the next wait takes as its afterBoot; print nothing when no reboot is needed
# (the next wait then waits for nothing more). The reboot starts 5 s later, so that this command itself ends
# cleanly on the old boot instead of with a dropped connection.
set -eu
if [ -e /var/run/reboot-required ]; then
  cat /proc/sys/kernel/random/boot_id
  sudo systemd-run --on-active=5 --unit=ssh-ready-reboot systemctl reboot >/dev/null
fi
