# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree build front end; the module list lives in Kbuild.
# Run `make help` for the targets.

# The kernel to build for (KVER=<release> picks one): the running kernel
# when its headers are installed, which is what a user who then runs insmod
# expects; otherwise the newest installed headers, generic flavour first
# (-rt- and -cloud- headers installed beside it sort after -amd64).  Every
# target says which it picked and why.  KERNELRELEASE= is the older
# spelling of KVER=.  kbuild reads Kbuild, never this file.
# A release "has headers" when /lib/modules/<release>/build/Makefile exists
# (a dangling build link left by an uninstalled package does not count).
RUNNING_KVER := $(shell uname -r)
ifneq ($(KVER),)
KVER_WHY := KVER=
else ifneq ($(KERNELRELEASE),)
KVER := $(KERNELRELEASE)
KVER_WHY := KERNELRELEASE=
else ifneq ($(wildcard /lib/modules/$(RUNNING_KVER)/build/Makefile),)
KVER := $(RUNNING_KVER)
KVER_WHY := the running kernel
else
KVER := $(shell ls -1d /lib/modules/*/build/Makefile 2>/dev/null | \
		awk -F/ '{print $$4}' | sort -V | \
		awk '/-(rt|cloud)-/ { o = $$0; next } { g = $$0 } \
		     END { print (g != "" ? g : o) }')
KVER_WHY := the newest installed headers; the running kernel $(RUNNING_KVER) has none
endif
KDIR ?= /lib/modules/$(KVER)/build
PWD := $(shell pwd)
VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' dkms.conf)
DKMS_SRC := /usr/src/padata_mt-$(VERSION)

.PHONY: all modules clean install dkms-install dkms-remove deb check demo bench ablation help kdir-check kver

all: modules

kdir-check:
	@test -n "$(KVER)" || { echo "No kernel headers under /lib/modules/*/build." \
		"Install them: apt-get install linux-headers-amd64 (or set KDIR=...)." >&2; exit 1; }
	@test -d "$(KDIR)" || { echo "KDIR=$(KDIR) does not exist." \
		"Install linux-headers-$(KVER) or pass KDIR=<kernel build tree>." >&2; exit 1; }

# kbuild cannot tell two flavours of one series apart (they share their
# headers, so nothing looks out of date): a tree last built for another
# kernel is cleaned first.  The stamp holds "KVER KDIR" of the last build.
STAMP := .pmt-built-for

modules: kdir-check
	@echo "padata_mt: building for $(KVER) ($(KVER_WHY)), KDIR=$(KDIR)"
	@if [ -f $(STAMP) ] && [ "$$(cat $(STAMP))" != "$(KVER) $(KDIR)" ]; then \
		echo "padata_mt: this tree was last built for $$(cat $(STAMP)): cleaning first"; \
		$(MAKE) -C $(KDIR) M=$(PWD) clean; \
	fi
	@echo "$(KVER) $(KDIR)" >$(STAMP)
	$(MAKE) -C $(KDIR) M=$(PWD) modules

clean:
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(PWD) clean; fi
	rm -rf build/ $(STAMP)

# The kernel the targets pick and why, tab-separated (tests/lib/host.py reads
# it, so the harness and the Makefile never disagree).
kver:
	@printf '%s\t%s\n' "$(KVER)" "$(KVER_WHY)"

install: modules
	$(MAKE) -C $(KDIR) M=$(PWD) modules_install
	depmod -a $(KVER)

dkms-install:
	@command -v dkms >/dev/null || { echo "dkms not found: apt-get install dkms" >&2; exit 1; }
	@test -d $(KDIR) || { echo "no headers for $(KVER): apt-get install linux-headers-$(KVER)" >&2; exit 1; }
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)
	cp -r dkms.conf Kbuild Makefile padata_mt memmap_test $(DKMS_SRC)/
	@# Added once; another dkms-install builds for its KVER, and one for a
	@# KVER already built rebuilds it from the new sources.
	dkms status padata_mt/$(VERSION) | grep -q . || dkms add padata_mt/$(VERSION)
	if dkms status padata_mt/$(VERSION) -k $(KVER) | grep -q .; then \
		dkms remove padata_mt/$(VERSION) -k $(KVER); fi
	@echo "padata_mt: DKMS build for $(KVER) ($(KVER_WHY))"
	dkms build padata_mt/$(VERSION) -k $(KVER)
	dkms install padata_mt/$(VERSION) -k $(KVER)

dkms-remove:
	-dkms remove padata_mt/$(VERSION) --all
	rm -rf $(DKMS_SRC)

# The Debian package padata-mt-dkms (debian/), built with debhelper and
# dh-dkms in a copy of the project's files (git's list when this is a
# checkout), so the tree is never touched: build/deb/<name>_<version>_all.deb.
DEB_DIR := build/deb
DEB_FILES := debian dkms.conf Kbuild Makefile padata_mt memmap_test docs
DEB_LIST = $(if $(filter $(CURDIR),$(shell git rev-parse --show-toplevel 2>/dev/null)),\
	git ls-files -co --exclude-standard -- $(DEB_FILES),\
	find $(DEB_FILES) -type f ! -name '*.o' ! -name '*.ko' ! -name '*.cmd' \
		! -name '*.mod' ! -name '*.mod.c' ! -name pmt_probes.h)

deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh_dkms >/dev/null || \
		{ echo "make deb needs dpkg-dev, debhelper and dh-dkms:" \
		"apt-get install dpkg-dev debhelper dh-dkms (or run tests/deps.sh)" >&2; exit 1; }
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/src
	$(DEB_LIST) | while read -r f; do [ -f "$$f" ] && echo "$$f"; done | \
		tar -cf - --no-recursion -T - | tar -xf - -C $(DEB_DIR)/src
	cd $(DEB_DIR)/src && dpkg-buildpackage --build=all --no-sign
	@echo "padata_mt: $(DEB_DIR)/padata-mt-dkms_$(VERSION)_all.deb" \
		"(install: apt install ./$(DEB_DIR)/padata-mt-dkms_$(VERSION)_all.deb)"

# Only a KVER= (or KERNELRELEASE=) given by the user narrows the test suite
# to that kernel's series and pins the demo's kernel; otherwise tests/run.py
# and tests/demo.py ask `make kver` for the choice above.
KVER_ARG := $(if $(filter command line environment,$(origin KVER) $(origin KERNELRELEASE)),--kver $(KVER))

# The test suite: every lane, one summary line (see docs/testing.md).
check:
	python3 tests/run.py $(if $(LANES),--lanes $(LANES)) $(KVER_ARG)

# The main job: build, boot the distro kernel in QEMU, hotplug and
# re-initialise a ZONE_DEVICE region, print the timing table.
demo: kdir-check
	python3 tests/demo.py $(KVER_ARG) $(DEMO_ARGS)

bench: kdir-check
	python3 tests/demo.py $(KVER_ARG) --engine-only $(DEMO_ARGS)

# The engine's changes one at a time, in one boot (docs/results.md, "Ablation");
# more module parameters with BENCH_ARGS, e.g. BENCH_ARGS=repeats=9.
ablation: kdir-check
	python3 tests/demo.py $(KVER_ARG) --engine-only \
		--bench-args "ablation=1 $(BENCH_ARGS)" $(DEMO_ARGS)

help:
	@echo "padata_mt $(VERSION) -- targets:"
	@echo "  modules       build padata_mt.ko and memmap_test.ko (default) against KDIR"
	@echo "  clean         remove build products"
	@echo "  install       modules_install + depmod for KVER"
	@echo "  dkms-install  copy to $(DKMS_SRC), dkms add/build/install for KVER"
	@echo "  dkms-remove   dkms remove --all and delete $(DKMS_SRC)"
	@echo "  deb           the Debian package $(DEB_DIR)/padata-mt-dkms_$(VERSION)_all.deb"
	@echo "  check         the test suite (LANES=stock-6.1,... picks lanes; KVER= one series)"
	@echo "  demo          boot the distro kernel in QEMU, hotplug + re-init, timing table"
	@echo "  bench         the engine benchmark alone"
	@echo "  ablation      the engine's changes backed out one at a time, in one boot"
	@echo "Variables: KVER=$(KVER) ($(KVER_WHY)) KDIR=$(KDIR)"
	@echo "           DEMO_ARGS=... more tests/demo.py options (e.g. --numa 1)"

