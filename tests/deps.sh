#!/bin/bash
# Install the Debian packages the test suite needs, if any are missing.
# Idempotent and silent when everything is present; needs root only when it
# has something to install.  Debian 12 (bookworm), apt-get.
#
#   tests/deps.sh          install what is missing
#   tests/deps.sh --check  only report what is missing (exit 1 if anything)
set -euo pipefail

# What each package is for:
#   linux-image-amd64, linux-headers-amd64  the distro kernel the guest boots
#                           and its headers to build against (Debian 12: 6.1)
#   gcc make                kbuild (gcc must match the headers' compiler)
#   kmod                    depmod for the guest's modules.dep, modinfo
#   qemu-system-x86         the test VM
#   busybox-static          the guest userland
#   cpio                    initramfs tooling
#   dkms openssl            the DKMS lane (openssl: dkms's signing key)
#   sparse                  the sparse lane (make C=1)
#   linux-source-6.1 xz-utils perl   checkpatch.pl and its data files
#   python3                 tests/run.py
#   gnuplot-nox             plots of the demo and bench results
#   linux-image-rt-amd64 linux-headers-rt-amd64        the rt lane (PREEMPT_RT)
#   linux-image-cloud-amd64 linux-headers-cloud-amd64  the cloud lane
#   bison flex bc libelf-dev libssl-dev   the debug lane's kernel build
#                           (from linux-source-6.1; cached, see README "Tests")
PACKAGES=(
	linux-image-amd64 linux-headers-amd64 gcc make kmod
	qemu-system-x86 busybox-static cpio dkms openssl sparse
	linux-source-6.1 xz-utils perl python3 gnuplot-nox
	linux-image-rt-amd64 linux-headers-rt-amd64
	linux-image-cloud-amd64 linux-headers-cloud-amd64
	bison flex bc libelf-dev libssl-dev
)

check_only=false
[ "${1:-}" = --check ] && check_only=true

installed() {
	dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed
}

missing=()
for p in "${PACKAGES[@]}"; do
	installed "$p" || missing+=("$p")
done

# The releases the lanes build for (the newest headers of each flavour:
# generic, as the Makefile picks, rt and cloud) need their images too.
# shellcheck disable=SC2012 # release names, not arbitrary file names
releases=$(ls -1d /lib/modules/*/build 2>/dev/null | awk -F/ '{print $4}' | sort -V || true)
for flavour in generic rt cloud; do
	case $flavour in
	generic) rel=$(echo "$releases" | grep -Ev -- '-(rt|cloud)-' | tail -n 1 || true) ;;
	*) rel=$(echo "$releases" | grep -E -- "-$flavour-" | tail -n 1 || true) ;;
	esac
	if [ -n "$rel" ] && [ ! -e "/boot/vmlinuz-$rel" ] && ! installed "linux-image-$rel"; then
		missing+=("linux-image-$rel")
	fi
done

[ ${#missing[@]} -eq 0 ] && exit 0

if $check_only; then
	echo "deps.sh: missing packages: ${missing[*]}" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}" >&2
	echo "deps.sh: run as root to install them: sudo tests/deps.sh" >&2
	exit 1
fi
if ! command -v apt-get >/dev/null; then
	echo "deps.sh: no apt-get: this suite expects Debian 12; install by hand: ${missing[*]}" >&2
	exit 1
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps.sh: installed ${missing[*]}"
