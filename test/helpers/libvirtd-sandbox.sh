#!/bin/bash
# Runs Debian's libvirtd (system mode, as root) with its own configuration and state: inside a private
# mount namespace (started by `unshare -m --propagation private`), the folders libvirt's QEMU driver
# does not let a configuration move (/etc/libvirt, /run/libvirt, /var/lib/libvirt, /var/log/libvirt,
# /var/cache/libvirt) are bind mounts of folders under DIR, so nothing of this machine's libvirt is read
# or written and two daemons can run side by side. The daemon stays in the foreground: the caller's
# child process IS libvirtd (exec), and stopping it is killing that one pid.
# Usage: unshare -m --propagation private -- bash libvirtd-sandbox.sh DIR CACHE
set -euo pipefail
d=$1
cache=$2
for sub in etc run lib log; do mkdir -p "$d/$sub"; done
mkdir -p /etc/libvirt /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt
mkdir -p "$cache"
mount --bind "$d/etc" /etc/libvirt
mount --bind "$d/run" /run/libvirt
mount --bind "$d/lib" /var/lib/libvirt
mount --bind "$d/log" /var/log/libvirt
# a small pool's folder (4 MiB, seen only by the daemon): what a full pool looks like
mkdir -p "$d/tiny"
mount -t tmpfs -o size=4m,mode=0755 hangar-tiny "$d/tiny"
# QEMU capabilities are probed once per QEMU build: a cache shared by the runs of the tests
mount --bind "$cache" /var/cache/libvirt
# Debian's libvirtd looks up its default QEMU account (libvirt-qemu) before it reads qemu.conf, which
# says root, and gives up without it. The account comes with libvirt-daemon-system, which set-up does not
# install (its services need systemd): where it is missing, this namespace alone sees it, in copies of
# the account files.
if ! getent group libvirt-qemu >/dev/null || ! getent passwd libvirt-qemu >/dev/null; then
  cp /etc/passwd "$d/passwd"
  cp /etc/group "$d/group"
  id=64055
  while getent passwd "$id" >/dev/null || getent group "$id" >/dev/null; do id=$((id + 1)); done
  gid=$(getent group libvirt-qemu | cut -d: -f3 || true)
  if [ -z "$gid" ]; then
    gid=$id
    echo "libvirt-qemu:x:$gid:" >>"$d/group"
  fi
  getent passwd libvirt-qemu >/dev/null || echo "libvirt-qemu:x:$id:$gid:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin" >>"$d/passwd"
  mount --bind "$d/passwd" /etc/passwd
  mount --bind "$d/group" /etc/group
fi
exec /usr/sbin/libvirtd -f "$d/etc/libvirtd.conf" -p "$d/libvirtd.pid"
