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
exec /usr/sbin/libvirtd -f "$d/etc/libvirtd.conf" -p "$d/libvirtd.pid"
