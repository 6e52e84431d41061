#!/bin/bash
# Install the Debian packages the test suite needs, if any are missing, and
# unpack the kernel images the guest lanes boot.  Idempotent and silent when
# everything is present; needs root only when it has something to do.
# Debian 12 (bookworm), apt-get.
#
# The kernel *images* are never installed on the host: installing one runs
# update-initramfs and makes it the bootloader's default, which a test suite
# has no business doing.  deps.sh downloads each linux-image-<release> the
# lanes need (the newest release of each series and flavour whose headers
# are installed) and unpacks what the guest needs of it under
# ${PMT_CACHE:-/var/cache/padata_mt}/kernels/<release>/; tests/lib/qemu.py
# boots the vmlinuz from there (or from /boot when the image is installed
# anyway).
#
#   tests/deps.sh          install what is missing
#   tests/deps.sh --check  only report what is missing (exit 1 if anything)
set -euo pipefail

# What each package is for:
#   linux-headers-amd64     Debian 12's 6.1 kernel headers (stock-6.1 builds
#                           against them; its image is unpacked, see above)
#   linux-headers-6.12-amd64  the 6.12 series Debian 12 ships beside it
#                           (stock-6.12; Debian 13 runs 6.12)
#   dwarves                 pahole: 6.12's headers build modules with BTF
#                           (CONFIG_DEBUG_INFO_BTF_MODULES); without it no .ko
#   gcc make                kbuild (gcc must match the headers' compiler)
#   kmod                    depmod for the guest's modules.dep, modinfo
#   qemu-system-x86         the test VM
#   busybox-static          the guest userland
#   cpio                    initramfs tooling
#   dkms openssl            the DKMS lane (openssl: dkms's signing key)
#   dpkg-dev debhelper dh-dkms  make deb: dpkg-buildpackage, dh and its
#                           compat 13, dh_dkms (the -dkms maintainer scripts)
#   lintian                 the package lanes check the .deb with it
#   sparse                  the sparse lane (make C=1)
#   linux-source-6.12 xz-utils perl   the debug-6.12 lane's kernel (built once,
#                           cached, see tests/README.md) and checkpatch.pl
#   python3                 tests/run.py
#   gnuplot-nox             plots of the demo and bench results
#   linux-headers-rt-amd64  rt-6.1 (PREEMPT_RT); -6.12-rt-amd64: rt-6.12
#   linux-headers-cloud-amd64  cloud-6.1; -6.12-cloud-amd64: cloud-6.12
#   bison flex bc libelf-dev libssl-dev   the debug lanes' kernel build
# Not installed by default: linux-source-6.1, for the on-demand debug-6.1
# lane (tests/run.py --lanes debug-6.1 says so when it is missing).
PACKAGES=(
	linux-headers-amd64 linux-headers-6.12-amd64 dwarves
	gcc make kmod
	qemu-system-x86 busybox-static cpio dkms openssl sparse
	dpkg-dev debhelper dh-dkms lintian
	linux-source-6.12 xz-utils perl python3 gnuplot-nox
	linux-headers-rt-amd64 linux-headers-6.12-rt-amd64
	linux-headers-cloud-amd64 linux-headers-6.12-cloud-amd64
	bison flex bc libelf-dev libssl-dev
)

check_only=false
[ "${1:-}" = --check ] && check_only=true
KERNELS=${PMT_CACHE:-/var/cache/padata_mt}/kernels

installed() {
	dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed
}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: $1" >&2
		echo "deps.sh: run as root: sudo tests/deps.sh" >&2
		exit 1
	fi
	if ! command -v apt-get >/dev/null; then
		echo "deps.sh: no apt-get: this suite expects Debian 12; $1" >&2
		exit 1
	fi
}

missing=()
for p in "${PACKAGES[@]}"; do
	installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if $check_only; then
		echo "deps.sh: missing packages: ${missing[*]}" >&2
		exit 1
	fi
	need_root "missing packages: ${missing[*]}"
	echo "deps.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	echo "deps.sh: installed ${missing[*]}"
fi

# The releases the guest lanes boot: the newest with headers of each series
# and flavour (as tests/lib/host.py picks them).
# shellcheck disable=SC2012 # release names, not arbitrary file names
releases=$(ls -1d /lib/modules/*/build/Makefile 2>/dev/null | awk -F/ '{print $4}' | sort -V || true)
wanted=()
for series in 6.1 6.12; do
	of_series=$(echo "$releases" | grep -E "^${series//./\\.}[.-]" || true)
	for flavour in generic rt cloud; do
		case $flavour in
		generic) rel=$(echo "$of_series" | grep -Ev -- '-(rt|cloud)-' | tail -n 1 || true) ;;
		*) rel=$(echo "$of_series" | grep -E -- "-$flavour-" | tail -n 1 || true) ;;
		esac
		[ -n "$rel" ] && wanted+=("$rel")
	done
done

# Each one unpacked once per package version (a new upload of the same
# release replaces it).
for rel in "${wanted[@]}"; do
	pkg=linux-image-$rel
	ver=$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ { print $2 }')
	dir=$KERNELS/$rel
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		[ -e "$dir/boot/vmlinuz-$rel" ] || [ -e "/boot/vmlinuz-$rel" ] && continue
		echo "deps.sh: no package $pkg in apt's lists: apt-get update, or install headers of a release Debian still ships" >&2
		exit 1
	fi
	[ "$(cat "$dir/.version" 2>/dev/null)" = "$ver" ] && [ -e "$dir/boot/vmlinuz-$rel" ] && continue
	if $check_only; then
		echo "deps.sh: kernel image not unpacked: $pkg $ver (into $dir)" >&2
		exit 1
	fi
	need_root "kernel image to unpack: $pkg $ver"
	t0=$(date +%s)
	tmp=$(mktemp -d)
	deb=/var/cache/apt/archives/${pkg}_${ver//:/%3a}_amd64.deb
	if [ ! -f "$deb" ]; then
		(cd "$tmp" && apt-get download -qq "$pkg=$ver" 2>/dev/null) || {
			echo "deps.sh: apt-get download $pkg=$ver failed: apt-get update, then retry" >&2
			rm -rf "$tmp"
			exit 1
		}
		deb=$(echo "$tmp"/*.deb)
	fi
	rm -rf "$dir.new"
	mkdir -p "$dir.new"
	# The kernel, the module indexes the initramfs's depmod needs, and the
	# mm modules a suite loads (hwpoison-inject): not the whole tree.
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir.new" --wildcards \
		'./boot/*' './lib/modules/*/modules.*' './lib/modules/*/kernel/mm/*'
	[ -e "$dir.new/boot/vmlinuz-$rel" ] || {
		echo "deps.sh: $deb has no boot/vmlinuz-$rel" >&2
		exit 1
	}
	echo "$ver" >"$dir.new/.version"
	rm -rf "$tmp" "$dir"
	mv "$dir.new" "$dir"
	echo "deps.sh: unpacked $pkg $ver into $dir ($(($(date +%s) - t0)) s)"
done
