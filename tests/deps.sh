#!/bin/bash
# Install the Debian packages the test suite needs, if any are missing.
# Idempotent and silent when everything is present; needs root only when it
# has something to install.  Debian 12 (bookworm), apt-get.
#
#   tests/deps.sh          install what is missing
#   tests/deps.sh --check  only report what is missing (exit 1 if anything)
set -euo pipefail

# What each package is for:
#   linux-image-amd64, linux-headers-amd64  Debian 12's 6.1 kernel the stock-6.1
#                           lane boots, and its headers to build against
#   linux-image-6.12-amd64, linux-headers-6.12-amd64  the 6.12 series Debian
#                           12 ships beside it (stock-6.12; Debian 13 runs 6.12)
#   dwarves                 pahole: 6.12's headers build modules with BTF
#                           (CONFIG_DEBUG_INFO_BTF_MODULES); without it no .ko
#   gcc make                kbuild (gcc must match the headers' compiler)
#   kmod                    depmod for the guest's modules.dep, modinfo
#   qemu-system-x86         the test VM
#   busybox-static          the guest userland
#   cpio                    initramfs tooling
#   dkms openssl            the DKMS lane (openssl: dkms's signing key)
#   sparse                  the sparse lane (make C=1)
#   linux-source-6.12 xz-utils perl   the debug-6.12 lane's kernel (built once,
#                           cached, see tests/README.md) and checkpatch.pl
#   python3                 tests/run.py
#   gnuplot-nox             plots of the demo and bench results
#   linux-image-rt-amd64 linux-headers-rt-amd64        rt-6.1 (PREEMPT_RT)
#   linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64  rt-6.12
#   linux-image-cloud-amd64 linux-headers-cloud-amd64  cloud-6.1
#   linux-image-6.12-cloud-amd64 linux-headers-6.12-cloud-amd64  cloud-6.12
#   bison flex bc libelf-dev libssl-dev   the debug lanes' kernel build
# Not installed by default: linux-source-6.1, for the on-demand debug-6.1
# lane (tests/run.py --lanes debug-6.1 says so when it is missing).
PACKAGES=(
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64 dwarves
	gcc make kmod
	qemu-system-x86 busybox-static cpio dkms openssl sparse
	linux-source-6.12 xz-utils perl python3 gnuplot-nox
	linux-image-rt-amd64 linux-headers-rt-amd64
	linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64
	linux-image-cloud-amd64 linux-headers-cloud-amd64
	linux-image-6.12-cloud-amd64 linux-headers-6.12-cloud-amd64
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

# The releases the lanes build for (the newest headers of each series and
# flavour) need their images too.
# shellcheck disable=SC2012 # release names, not arbitrary file names
releases=$(ls -1d /lib/modules/*/build 2>/dev/null | awk -F/ '{print $4}' | sort -V || true)
for series in 6.1 6.12; do
	for flavour in generic rt cloud; do
		of_series=$(echo "$releases" | grep -E "^${series//./\\.}[.-]" || true)
		case $flavour in
		generic) rel=$(echo "$of_series" | grep -Ev -- '-(rt|cloud)-' | tail -n 1 || true) ;;
		*) rel=$(echo "$of_series" | grep -E -- "-$flavour-" | tail -n 1 || true) ;;
		esac
		if [ -n "$rel" ] && [ ! -e "/boot/vmlinuz-$rel" ] && ! installed "linux-image-$rel"; then
			missing+=("linux-image-$rel")
		fi
	done
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
