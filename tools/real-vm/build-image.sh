#!/usr/bin/env bash
# Builds the image that real-boot tests, the demo and the benchmark boot under QEMU, or finds it cached: Debian
# bookworm from Debian's mirror, made to look like a cloud image before its first boot (systemd, sshd, cloud-init
# reading NoCloud, Debian's Azure VM agent installed but not started, no SSH host keys, an empty machine ID).
#   vmlinuz, initrd.img   the image's own kernel and initrd (QEMU boots them with -kernel/-initrd)
#   root.img              a raw ext4 root file system (3 GiB, sparse); each boot copies it
#   packages.txt          the package versions debootstrap installed
# Needs root, debootstrap and e2fsprogs (apt-get install debootstrap e2fsprogs). About 6 minutes and 700 MB.
# Prints what it built or found, how long it took and how big it is, then the folder on the last line.
#   --print-dir   print the folder if it is built, else exit 1 (builds nothing): how tests find the image.
# The cache key covers this script, so a change to it builds anew (Debian's newest packages of the day go in).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache_root="${VM_WITH_READY_SSH_CACHE:-$HOME/.cache/vm-with-ready-ssh}/vm-image"
SUITE=bookworm
MIRROR=http://deb.debian.org/debian
# linux-image-cloud-amd64: virtio drivers, small. python3-cffi-backend: debootstrap cannot resolve the virtual
# package python3-cryptography needs. locales: without en_US.UTF-8, cloud-init's locale module fails and
# `cloud-init status` ends in error. waagent: what `waagent -deprovision+user` in the image capture runs.
# nftables: a provisioning step can turn on a firewall, which a session opened before it does not notice.
# No ifupdown: the network is systemd-networkd's, as on Debian's own cloud images (cloud-init writes its config).
# With ifupdown, a captured image's first boot (cloud-init clean resets the machine ID, so systemd applies its
# presets, which enable networkd) waited 2 minutes for networkd to configure a link it did not manage.
PACKAGES=systemd-sysv,linux-image-cloud-amd64,openssh-server,cloud-init,python3-cffi-backend,locales
PACKAGES+=,netbase,iproute2,sudo,udev,dbus,waagent,nftables

key=$(sha256sum "$here/build-image.sh" | cut -c1-16)
dir="$cache_root/$key"
built() { [ -f "$dir/root.img" ] && [ -f "$dir/vmlinuz" ] && [ -f "$dir/initrd.img" ]; }
if [ "${1:-}" = "--print-dir" ]; then
  built || exit 1
  echo "$dir"
  exit 0
fi
size() { du -sh "$1" | cut -f1; }
if built; then
  echo "vm-image: cached: Debian $SUITE, $(grep -c . "$dir/packages.txt") packages ($(size "$dir") on disk)"
  echo "$dir"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || { echo "vm-image: building the image needs root (debootstrap, chroot)" >&2; exit 1; }
for tool in debootstrap mkfs.ext4 chroot; do
  command -v "$tool" >/dev/null || { echo "vm-image: $tool not found: apt-get install debootstrap e2fsprogs" >&2; exit 1; }
done

started=$SECONDS
mkdir -p "$cache_root"
work=$(mktemp -d "$cache_root/building.XXXXXX")
cleanup() {
  # debootstrap mounts /proc and /sys in the target; a failed run can leave them.
  grep -o " $work/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" || true; done
  rm -rf "$work"
}
trap cleanup EXIT
rootfs="$work/rootfs"

echo "vm-image: debootstrap Debian $SUITE from $MIRROR (about 5 minutes)"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
  tail -20 "$work/debootstrap.log" >&2
  exit 1
}

echo "vm-image: making it look like a cloud image before its first boot"
sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' "$rootfs/etc/locale.gen"
chroot "$rootfs" locale-gen >/dev/null
echo LANG=en_US.UTF-8 >"$rootfs/etc/default/locale"
echo "/dev/vda / ext4 defaults,errors=remount-ro 0 1" >"$rootfs/etc/fstab"
# Each instance makes its own host keys and machine ID, and takes its host name from its data.
rm -f "$rootfs"/etc/ssh/ssh_host_* "$rootfs/etc/hostname" "$rootfs/var/lib/dbus/machine-id"
: >"$rootfs/etc/machine-id"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$rootfs/etc/hosts"
# cloud-init's data comes from a NoCloud seed drive (label cidata), as a cloud gives it; nothing else is tried.
printf 'datasource_list: [NoCloud, None]\n' >"$rootfs/etc/cloud/cloud.cfg.d/90-datasource.cfg"
chroot "$rootfs" systemctl enable systemd-networkd.service >/dev/null 2>&1
# sshd logs every connection it accepts ("Connection from …"): the benchmark counts them.
echo "LogLevel VERBOSE" >"$rootfs/etc/ssh/sshd_config.d/50-log-connections.conf"
# The VM agent is installed for its deprovisioning only: its service would look for Azure's wire server.
ln -sf /dev/null "$rootfs/etc/systemd/system/walinuxagent.service"
chroot "$rootfs" dpkg-query -W -f '${Package} ${Version}\n' >"$work/packages.txt"
cp "$(ls "$rootfs"/boot/vmlinuz-* | sort -V | tail -1)" "$work/vmlinuz"
cp "$(ls "$rootfs"/boot/initrd.img-* | sort -V | tail -1)" "$work/initrd.img"
# Package downloads are not part of an image.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

echo "vm-image: writing the root file system"
mkfs.ext4 -q -L root -d "$rootfs" -F "$work/root.img" 3G >/dev/null
rm -rf "$rootfs" "$work/debootstrap.log"

rm -rf "$dir"
mv "$work" "$dir"
trap - EXIT
# Earlier builds (another key) are not used again: only this one is kept.
find "$cache_root" -mindepth 1 -maxdepth 1 ! -name "$key" -exec rm -rf {} +
echo "vm-image: built Debian $SUITE, $(grep -c . "$dir/packages.txt") packages, in $((SECONDS - started)) s ($(size "$dir") on disk)"
echo "$dir"
