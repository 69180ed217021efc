#!/usr/bin/env bash
# Builds the local systemd test image (localhost/debian-systemd:bookworm) that every molecule scenario uses.
# No registry can be reached here, so the image is bootstrapped from Debian packages with debootstrap and
# imported into podman. The image carries a label with the hash of this recipe: it is rebuilt only when
# the recipe changes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
image=${TEST_IMAGE:-localhost/debian-systemd:bookworm}
recipe_hash=$(sha256sum "$here/build.sh" | cut -c1-16)

existing=$(podman image inspect --format '{{ index .Labels "versatile.recipe" }}' "$image" 2>/dev/null || true)
if [ "$existing" = "$recipe_hash" ]; then
  echo "test image $image is current (recipe $recipe_hash)"
  exit 0
fi

packages=systemd,systemd-sysv,dbus,python3,python3-apt,openssh-server,sudo,iproute2,iputils-ping,procps,ca-certificates,curl,iptables,gnupg
root=$(mktemp -d /var/tmp/debian-systemd.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "building $image with debootstrap (about a minute)"
debootstrap --variant=minbase --include="$packages" bookworm "$root" >"$root.log" 2>&1 || {
  tail -20 "$root.log" >&2; echo "debootstrap failed: see $root.log" >&2; exit 1; }
rm -f "$root.log"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/*
: >"$root/etc/machine-id"
# udev and gettys have nothing to do in a container and slow the boot down.
for unit in systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
            getty@tty1.service console-getty.service systemd-networkd-wait-online.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
tar -C "$root" -c . | podman import \
  --change 'CMD ["/sbin/init"]' \
  --change "LABEL versatile.recipe=$recipe_hash" \
  --quiet - "$image" >/dev/null
echo "built $image (recipe $recipe_hash)"
