# shellcheck shell=sh
# memmap_test: ZONE_DEVICE hotplug, verify, unplug, reinit with digests,
# memset and bench through debugfs; the strict parser; EBUSY, E2BIG and
# the other refusals; no leak over 20 plug/unplug cycles; rmmod with a
# region plugged; a failed (injected) hotplug leaves nothing behind.
# Sizes stay at 1G-16G (memmaps of 16-256 MiB) so that the suite runs in a
# few minutes under QEMU TCG; the 64G run is `make demo`.

t_plan 37

# mt, mt_err, expect_errno, kv, iomem_ours: lib.sh.
dbg=/sys/kernel/debug/memmap_test
C=$MT_CONTROL
ncpu=$(nproc)
[ "$ncpu" -gt 1 ] || ncpu=2

# Free memory in kB: MemFree plus the pages on the per-CPU free lists
# (/proc/zoneinfo "count:"), which MemFree leaves out; freed 2 MiB vmemmap
# blocks can sit there by the dozen.
memfree_kb() {
	m_free=$(sed -n 's/^MemFree: *\([0-9]*\) kB/\1/p' /proc/meminfo)
	m_pcp=$(awk '$1 == "count:" { n += $2 } END { print n + 0 }' /proc/zoneinfo)
	echo $((m_free + m_pcp * 4))
}

# plug_verify_unplug SIZE THREADS: one full cycle, iomem clean afterwards.
plug_verify_unplug() {
	mt hotplug size="$1" threads="$2" || { grep -v '^#' $C; return 1; }
	[ "$(iomem_ours)" = 1 ] || { echo "no memmap_test in /proc/iomem"; return 1; }
	mt verify threads="$2" || { grep -v '^#' $C; return 1; }
	[ "$(kv bad_pages)" = 0 ] || { grep -v '^#' $C; return 1; }
	[ "$(kv verify_pages)" = "$(kv region_pages)" ] || return 1
	mt unplug threads="$2" || return 1
	[ "$(iomem_ours)" = 0 ] || { grep memmap_test /proc/iomem; return 1; }
	[ "$(kv region_plugged)" = 0 ]
}

t_check memmap_test_loads modprobe memmap_test
has_syntax() {
	grep -q '^#   hotplug size=SIZE' $C && grep -q '^#   bench size=SIZE' $C &&
		grep -q '^section_size_bytes=134217728$' $C &&
		grep -q '^busy=0$' $C && ! grep -v '^#' $C | grep -qv '='
}
t_check control_prints_syntax_and_key_values has_syntax
t_check control_is_root_only sh -c "ls -l $C | grep -q '^-rw-------'"

iomem0=$(cat /proc/iomem)

# --- hotplug -> verify -> unplug ---------------------------------------------
t_check plug_verify_unplug_1G_parallel plug_verify_unplug 1G "$ncpu"
t_check plug_verify_unplug_3G_odd_sections plug_verify_unplug 3G "$ncpu"
t_check plug_verify_unplug_16G_parallel plug_verify_unplug 16G "$ncpu"
t_check plug_verify_unplug_2G_stock plug_verify_unplug 2G 1
stock_is_one_pgmap() {
	mt hotplug size=2G threads=1 || return 1
	p=$(kv region_pieces)
	mt unplug || return 1
	[ "$p" = 1 ]
}
t_check threads1_is_one_memremap_pages stock_is_one_pgmap

# A region on the second NUMA node: verify checks every page's node.
if [ -d /sys/devices/system/node/node1 ]; then
	on_node1() {
		mt hotplug size=1G threads="$ncpu" nid=1 || return 1
		[ "$(kv region_nid)" = 1 ] || return 1
		mt verify && [ "$(kv bad_pages)" = 0 ] && mt unplug
	}
	t_check hotplug_verify_on_node1 on_node1
else
	t_skip hotplug_verify_on_node1 "one NUMA node"
fi

# Sizes that are not a multiple of the 128M section are refused (not
# rounded): the size a user asks for is the size that appears in iomem.
not_section_multiple() {
	for s in 1000M 129M 64M 1025M; do
		expect_errno "Invalid argument" hotplug size=$s threads=2 || return 1
		kv message | grep -q 'multiple of the section size' || return 1
	done
	[ "$(iomem_ours)" = 0 ]
}
t_check non_section_multiple_size_rejected not_section_multiple

# Piece counts the region cannot have are refused before anything is claimed.
pieces_checked() {
	expect_errno "Invalid argument" hotplug size=1G threads=1 pieces=4 &&
		expect_errno "Invalid argument" hotplug size=1G threads=2 pieces=9 &&
		expect_errno "Invalid argument" hotplug size=1G threads=2 pieces=4 fail_piece=4 &&
		[ "$(kv region_plugged)" = 0 ] && [ "$(iomem_ours)" = 0 ]
}
t_check pieces_arguments_checked pieces_checked

# base=: a free range by address, then one overlapping System RAM.
by_base() {
	mt hotplug size=1G threads=2 || return 1
	b=$(kv region_base)
	mt unplug || return 1
	mt hotplug base="$b" size=1G threads=2 || { grep -v '^#' $C; return 1; }
	[ "$(kv region_base)" = "$b" ] || return 1
	grep -q memmap_test /proc/iomem || return 1
	mt verify || return 1
	mt unplug
}
t_check hotplug_by_base_address by_base
# A range reserved with memmap=nn!ss (the stock lane boots without one).
legacy=$(sed -n 's/^\([0-9a-f]*\)-\([0-9a-f]*\) : Persistent Memory (legacy)$/\1 \2/p' /proc/iomem | head -n 1)
if [ -n "$legacy" ]; then
	reserved_range() {
		# shellcheck disable=SC2086 # "start end" into $1 $2
		set -- $legacy
		lo=$((0x$1))
		size=$(((0x$2 + 1 - lo) >> 20))M
		mt hotplug base="$(printf '%#x' $lo)" size="$size" threads="$ncpu" ||
			{ grep -v '^#' $C; return 1; }
		grep -A1 'Persistent Memory (legacy)' /proc/iomem | grep -q memmap_test &&
			mt verify && mt reinit poison=1 && mt unplug
	}
	t_check hotplug_memmap_reserved_range reserved_range
else
	t_skip hotplug_memmap_reserved_range "no memmap=nn!ss range (boot with e.g. memmap=1G!8G)"
fi
t_check base_overlapping_ram_rejected expect_errno "Invalid argument" \
	hotplug base=0x100000000 size=128M
t_check base_unaligned_rejected expect_errno "Invalid argument" \
	hotplug base=0x10004000000 size=128M

# --- reinit and digests ---------------------------------------------------------
mt hotplug size=2G threads="$ncpu"
reinit_poison() {
	mt reinit threads="$ncpu" poison=1 || { grep -v '^#' $C; return 1; }
	[ "$(kv layout_validated)" = 1 ] && [ "$(kv digest_match)" = 1 ] &&
		[ "$(kv digest)" = "$(kv digest_kernel)" ]
}
t_check reinit_poison_digest_equals_kernel reinit_poison

# A page reinit skips stays poisoned: the digest check must name its pfn
# and the first differing field (flags, at offset 0).
missed_page() {
	start=$(kv region_start_pfn)
	want=$(printf '%#x' $((start + 12345)))
	expect_errno "Input/output error" reinit threads="$ncpu" poison=1 skip=12345 || return 1
	grep -v '^#' $C | grep mismatch
	[ "$(kv digest_match)" = 0 ] && [ "$(kv mismatch_pfn)" = "$want" ] &&
		[ "$(kv mismatch_field)" = flags ] &&
		[ "$(kv mismatch_found)" = 0xaaaaaaaaaaaaaaaa ]
}
t_check digest_mismatch_names_pfn_and_field missed_page
verify_finds_it() {
	want=$(printf '%#x' $(($(kv region_start_pfn) + 12345)))
	expect_errno "Input/output error" verify threads="$ncpu" || return 1
	[ "$(kv bad_pages)" = 1 ] && [ "$(kv first_bad_pfn)" = "$want" ]
}
t_check verify_finds_the_missed_page verify_finds_it
repaired() {
	mt reinit threads=1 || return 1
	[ "$(kv digest_match)" = 1 ] && mt verify && [ "$(kv bad_pages)" = 0 ]
}
t_check reinit_repairs_and_verify_passes repaired
t_check skip_needs_poison expect_errno "Invalid argument" reinit skip=1
t_check skip_beyond_region_rejected expect_errno "Invalid argument" \
	reinit poison=1 skip=524288
t_check hotplug_while_plugged_eexist expect_errno "File exists" hotplug size=1G
t_check memset_runs sh -c "echo memset threads=$ncpu >$C && grep -q '^memset_size_bytes=33554432$' $C"
mt unplug

# The same region plugged by the stock path and by padata_mt_run(): the
# kernel wrote equivalent struct pages and reinit reproduces them.
digests_of() {
	mt hotplug size=2G threads="$1" || return 1
	mt reinit threads="$1" || return 1
	echo "$(kv digest_kernel) $(kv digest)"
	mt unplug
}
stock_vs_parallel() {
	d1=$(digests_of 1) || return 1
	dn=$(digests_of "$ncpu") || return 1
	echo "threads=1: $d1; threads=$ncpu: $dn"
	# shellcheck disable=SC2086 # split "kernel reinit" into $1 $2
	set -- $d1
	[ "$d1" = "$dn" ] && [ "$1" = "$2" ]
}
t_check reinit_digest_stock_equals_parallel stock_vs_parallel

# --- refusals -------------------------------------------------------------------
t_check unplug_without_region_enoent expect_errno "No such file" unplug
t_check reinit_without_region_enoent expect_errno "No such file" reinit
t_check memmap_above_max_pct_e2big expect_errno "Argument list too long" \
	hotplug size=1T

malformed() {
	n=0
	for c in "" " " "bogus" "hotplug" "hotplug size=1" "hotplug size=1X" \
		"hotplug size=1g" "hotplug size=G" "hotplug size=-1G" "hotplug size=+1G" \
		"hotplug size=1G size=1G" "hotplug size=1G foo=1" "hotplug size=1G extra" \
		"hotplug size=1G threads=" "hotplug size=1G =1" "hotplug size=1G threads=0" \
		"hotplug size=1G threads=99999" "hotplug size=1G threads=1,2" \
		"hotplug size=99999999999999999999G" "hotplug size=16777216T" \
		"hotplug size=0x1000000000000000T" "hotplug size=0G" "hotplug size=1G nid=64" \
		"hotplug size=1G pieces=0" "hotplug size=1G base=0xz" "reinit poison=2" \
		"unplug size=1G" "verify threads=1 threads=1" "bench size=1G threads=2,1" \
		"bench size=1G repeats=0" "bench size=1G repeats=101" "memset size=1G,2G" \
		"HOTPLUG size=1G" "hotplug	size=1G	bogus=1"; do
		expect_errno "Invalid argument" "$c" || return 1
		n=$((n + 1))
	done
	for c in '\001hotplug size=1G' 'hotplug size=1G\n\n' 'hotplug size=1G\r' '\377'; do
		# shellcheck disable=SC2059 # the escapes are the point
		if printf "$c" >$C 2>/dev/null; then
			echo "binary '$c' accepted"
			return 1
		fi
		n=$((n + 1))
	done
	# Longer than the 511-byte limit.
	long=$(printf '%0600d' 0)
	expect_errno "Invalid argument" "hotplug size=1G $long" || return 1
	n=$((n + 1))
	echo "$n malformed writes refused"
	[ "$(iomem_ours)" = 0 ] && [ "$(kv region_plugged)" = 0 ]
}
t_check malformed_writes_einval malformed

# --- injected failure (test-only fail_piece=) -------------------------------------
injected() {
	free0=$(memfree_kb)
	expect_errno "Input/output error" hotplug size=2G threads="$ncpu" pieces=4 fail_piece=2 ||
		return 1
	[ "$(kv region_plugged)" = 0 ] && [ "$(iomem_ours)" = 0 ] || return 1
	plug_verify_unplug 2G "$ncpu"
}
t_check injected_piece_failure_leaves_nothing injected

# --- SIGKILL of the writer: the job is cancelled, never half done -----------------
# The kill comes once the command runs (busy=1), unless the writer is done
# by then (at most 5 s).
killed() {
	sh -c "echo hotplug size=16G threads=$ncpu pieces=16 >$C" &
	pid=$!
	i=0
	while [ "$(kv busy)" != 1 ] && kill -0 $pid 2>/dev/null &&
		[ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -9 $pid
	wait $pid
	echo "writer status $?; $(grep -E '^(command|result|message|region_plugged)=' $C | tr '\n' ' ')"
	if [ "$(kv region_plugged)" = 1 ]; then
		[ "$(iomem_ours)" = 1 ] && mt verify && mt unplug
	else
		[ "$(iomem_ours)" = 0 ]
	fi
}
t_check sigkill_writer_all_or_nothing killed

# --- no leak over 20 cycles --------------------------------------------------------
# Free memory (memfree_kb) is compared with a 16 MiB tolerance: slab, the
# results buffers and page tables move it by a few MiB either way.  One cycle's memmap
# is 64 MiB here, so a leaked memmap (or ~1 MiB per cycle) still fails.
cycles() {
	mt hotplug size=4G threads="$ncpu" && mt unplug || return 1
	io0=$(cat /proc/iomem)
	free0=$(memfree_kb)
	i=0
	while [ $i -lt 20 ]; do
		mt hotplug size=4G threads="$ncpu" || return 1
		mt unplug threads="$ncpu" || return 1
		i=$((i + 1))
	done
	free1=$(memfree_kb)
	echo "MemFree before ${free0} kB, after ${free1} kB"
	[ "$(cat /proc/iomem)" = "$io0" ] || { echo "/proc/iomem changed"; return 1; }
	[ $((free0 - free1)) -lt 16384 ]
}
t_check plug_unplug_20_cycles_no_leak cycles

# --- EBUSY while a bench runs, then its table ----------------------------------------
busy() {
	echo "bench size=4G threads=1,$ncpu repeats=2" >$C 2>/tmp/bench.err &
	pid=$!
	i=0
	while [ "$(kv busy)" != 1 ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	if [ "$(kv busy)" != 1 ]; then
		echo "the bench never showed busy=1 within 10 s"
		wait $pid
		cat /tmp/bench.err
		return 1
	fi
	expect_errno "Device or resource busy" verify
	r=$?
	wait $pid
	b=$?
	[ $b = 0 ] || { echo "bench failed: $(cat /tmp/bench.err)"; grep -v '^#' $C; }
	[ $r = 0 ] && [ $b = 0 ]
}
t_check command_during_bench_ebusy busy
table_ok() {
	cat $dbg/table
	for op in hotplug unplug reinit memset; do
		grep -q "^$op" $dbg/table || return 1
		[ -n "$(kv bench_${op}_t1_median_ns)" ] || return 1
	done
	grep -q 'node% (thr)   speedup   time_ms (  stdev)' $dbg/table &&
		[ "$(kv digest_match)" = 1 ] && [ "$(iomem_ours)" = 0 ]
}
t_check bench_table_and_keys table_ok

# --- rmmod with a region plugged ---------------------------------------------------------
rmmod_plugged() {
	free0=$(memfree_kb)
	mt hotplug size=8G threads="$ncpu" || return 1
	rmmod memmap_test || return 1
	free1=$(memfree_kb)
	echo "MemFree before ${free0} kB, after rmmod ${free1} kB"
	[ "$(iomem_ours)" = 0 ] && [ $((free0 - free1)) -lt 16384 ]
}
t_check rmmod_with_region_plugged_cleans_up rmmod_plugged
t_eq iomem_back_to_start "$iomem0" "$(cat /proc/iomem)"
t_check memmap_test_reloads modprobe memmap_test
t_check unloads_clean rmmod memmap_test
