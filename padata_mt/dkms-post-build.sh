#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# dkms.conf's POST_BUILD: keep this build's Module.symvers (__padata_mt_run()'s
# symbol version) in DKMS's per-kernel directory, beside the built modules,
# for third-party modules (KBUILD_EXTRA_SYMBOLS; docs/examples/consumer/).
# DKMS runs this in the build directory, which it deletes afterwards; the
# per-kernel directory goes when the modules are removed for that kernel
# (dkms remove, the package's purge, the kernel's removal), so the copy
# lives exactly as long as the modules it describes.
#
#   padata_mt/dkms-post-build.sh <dkms_tree>/padata_mt/<version>/<kernel>/<arch>
set -e
dest=$1
if [ -z "$dest" ] || [ ! -d "$dest" ] || [ ! -f Module.symvers ]; then
	echo "padata_mt: POST_BUILD: no Module.symvers in $(pwd), or no" \
		"directory '$dest': third-party modules cannot link against" \
		"this build" >&2
	exit 1
fi
cp Module.symvers "$dest/Module.symvers"
echo "padata_mt: Module.symvers for third-party modules: $dest/Module.symvers"
