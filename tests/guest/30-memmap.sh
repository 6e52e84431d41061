# shellcheck shell=sh
# memmap_test: ZONE_DEVICE hotplug, verify, unplug, reinit with digests,
# memset and bench through debugfs; the strict parser; EBUSY, E2BIG and
# the other refusals; no leak over 20 plug/unplug cycles; rmmod with a
# region plugged; a failed (injected) hotplug leaves nothing behind; base=
# only over legacy persistent memory; max_pfn, high_memory and the DMA mask
# untouched by a plug; the digest catches a one-bit flip in every word and
# every page->flags field (the test-only flip= knob); a page left poisoned
# at the first pfn of a piece still unplugs.
# Sizes stay at 1G-16G (memmaps of 16-256 MiB) so that the suite runs in a
# few minutes under QEMU TCG; the 64G run is `make demo`.

ktap_set_plan 50

# mt, mt_err, mt_expect_errno, mt_kv, mt_iomem_ours, mt_kill_during,
# pmt_memfree_kb: lib.sh.
dbg=/sys/kernel/debug/memmap_test
C=$MT_CONTROL
ncpu=$(nproc)
[ "$ncpu" -gt 1 ] || ncpu=2
sec=32768

# plug_verify_unplug SIZE THREADS: one full cycle, iomem clean afterwards.
plug_verify_unplug() {
	mt hotplug size="$1" threads="$2" || { grep -v '^#' $C; return 1; }
	[ "$(mt_iomem_ours)" = 1 ] || { echo "no memmap_test in /proc/iomem"; return 1; }
	mt verify threads="$2" || { grep -v '^#' $C; return 1; }
	[ "$(mt_kv bad_pages)" = 0 ] || { grep -v '^#' $C; return 1; }
	[ "$(mt_kv verify_pages)" = "$(mt_kv region_pages)" ] || return 1
	mt unplug threads="$2" || return 1
	[ "$(mt_iomem_ours)" = 0 ] || { grep memmap_test /proc/iomem; return 1; }
	[ "$(mt_kv region_plugged)" = 0 ]
}

ktap_test_result memmap_test_loads modprobe memmap_test
has_syntax() {
	grep -q '^#   hotplug size=SIZE' $C && grep -q '^#   bench size=SIZE' $C &&
		grep -q '^section_size_bytes=134217728$' $C &&
		grep -q '^busy=0$' $C && ! grep -v '^#' $C | grep -qv '='
}
ktap_test_result control_prints_syntax_and_key_values has_syntax
ktap_test_result control_is_root_only sh -c "ls -l $C | grep -q '^-rw-------'"

iomem0=$(cat /proc/iomem)
hm0=$(mt_kv high_memory_pfn)
dma0=$(mt_kv dma_required_mask)

# --- hotplug -> verify -> unplug ---------------------------------------------
ktap_test_result plug_verify_unplug_1G_parallel plug_verify_unplug 1G "$ncpu"
ktap_test_result plug_verify_unplug_3G_odd_sections plug_verify_unplug 3G "$ncpu"
ktap_test_result plug_verify_unplug_16G_parallel plug_verify_unplug 16G "$ncpu"
ktap_test_result plug_verify_unplug_2G_stock plug_verify_unplug 2G 1

# How many times the kernel's memremap_pages() ran, counted by a kprobe
# event in a trace instance of our own.
tr=/sys/kernel/tracing
kp_count() {
	grep -c ' pmt_memremap:' $tr/instances/pmt30/trace
}
kp_on() {
	[ -w $tr/kprobe_events ] || return 1
	echo 'p:pmt30/pmt_memremap memremap_pages' >>$tr/kprobe_events || return 1
	mkdir -p $tr/instances/pmt30 &&
		echo 1 >$tr/instances/pmt30/events/pmt30/pmt_memremap/enable
}
kp_off() {
	echo 0 >$tr/instances/pmt30/events/pmt30/pmt_memremap/enable
	rmdir $tr/instances/pmt30
	echo '-:pmt30/pmt_memremap' >>$tr/kprobe_events
}
stock_is_one_memremap_pages() {
	echo >$tr/instances/pmt30/trace
	mt hotplug size=2G threads=1 || return 1
	n1=$(kp_count)
	mt unplug || return 1
	echo >$tr/instances/pmt30/trace
	mt hotplug size=2G threads=2 pieces=5 || return 1
	n5=$(kp_count)
	mt unplug || return 1
	echo "memremap_pages() calls: threads=1: $n1, threads=2 pieces=5: $n5"
	[ "$n1" = 1 ] && [ "$n5" = 5 ]
}
if kp_on 2>/dev/null; then
	ktap_test_result threads1_is_one_memremap_pages_call stock_is_one_memremap_pages
	kp_off
else
	ktap_test_skip threads1_is_one_memremap_pages_call "no kprobe events in tracefs"
fi

# A region on the second NUMA node, in uneven pieces (8 sections in 3):
# verify checks every page's node; reinit and the digest too, and a page
# left poisoned at the start of the middle piece is named.
if [ -d /sys/devices/system/node/node1 ]; then
	on_node1() {
		mt hotplug size=1G threads="$ncpu" nid=1 pieces=3 || return 1
		[ "$(mt_kv region_nid)" = 1 ] && [ "$(mt_kv region_pieces)" = 3 ] || return 1
		mt verify && [ "$(mt_kv bad_pages)" = 0 ] || return 1
		mt reinit poison=1 || { grep -v '^#' $C; return 1; }
		[ "$(mt_kv digest_match)" = 1 ] || return 1
		start=$(mt_kv region_start_pfn)
		# pieces cover sections [i * 8 / 3, (i + 1) * 8 / 3): 0-1, 2-4, 5-7
		mt_expect_errno "Input/output error" reinit poison=1 skip=$((2 * sec)) || return 1
		[ "$(mt_kv mismatch_pfn)" = "$(printf '%#x' $((start + 2 * sec)))" ] || return 1
		mt reinit && mt verify && [ "$(mt_kv bad_pages)" = 0 ] && mt unplug
	}
	ktap_test_result reinit_and_digest_on_node1_in_uneven_pieces on_node1
else
	ktap_test_skip reinit_and_digest_on_node1_in_uneven_pieces "one NUMA node"
fi

# Sizes that are not a multiple of the 128M section are refused (not
# rounded): the size a user asks for is the size that appears in iomem.
not_section_multiple() {
	for s in 1000M 129M 64M 1025M; do
		mt_expect_errno "Invalid argument" hotplug size=$s threads=2 || return 1
		mt_kv message | grep -q 'multiple of the section size' || return 1
	done
	[ "$(mt_iomem_ours)" = 0 ]
}
ktap_test_result non_section_multiple_size_rejected not_section_multiple

# Piece counts the region cannot have are refused before anything is claimed.
pieces_checked() {
	mt_expect_errno "Invalid argument" hotplug size=1G threads=1 pieces=4 &&
		mt_expect_errno "Invalid argument" hotplug size=1G threads=2 pieces=9 &&
		mt_expect_errno "Invalid argument" hotplug size=1G threads=2 pieces=4 fail_piece=4 &&
		[ "$(mt_kv region_plugged)" = 0 ] && [ "$(mt_iomem_ours)" = 0 ]
}
ktap_test_result pieces_arguments_checked pieces_checked

# --- base=: legacy persistent memory only -------------------------------------
# The lanes boot with memmap=1G!8G: "Persistent Memory (legacy)" at 8 GiB.
legacy=$(sed -n 's/^\([0-9a-f]*\)-\([0-9a-f]*\) : Persistent Memory (legacy)$/\1 \2/p' /proc/iomem | head -n 1)
if [ -n "$legacy" ]; then
	# shellcheck disable=SC2086 # "start end"
	set -- $legacy
	pm_lo=$((0x$1))
	pm_end=$((0x$2 + 1))
	by_base() {
		b=$(printf '%#x' $((pm_lo + 128 * 1048576)))
		mt hotplug base="$b" size=512M threads=2 || { grep -v '^#' $C; return 1; }
		[ "$(mt_kv region_base)" = "$b" ] || return 1
		grep -A2 'Persistent Memory (legacy)' /proc/iomem | grep -q memmap_test || return 1
		mt verify && [ "$(mt_kv bad_pages)" = 0 ] && mt unplug
	}
	ktap_test_result hotplug_by_base_inside_legacy_pmem by_base
	reserved_range() {
		size=$(((pm_end - pm_lo) >> 20))M
		mt hotplug base="$(printf '%#x' $pm_lo)" size="$size" threads="$ncpu" ||
			{ grep -v '^#' $C; return 1; }
		mt verify && mt reinit poison=1 && mt unplug
	}
	ktap_test_result hotplug_whole_legacy_pmem_range reserved_range
else
	ktap_test_skip hotplug_by_base_inside_legacy_pmem "no memmap=nn!ss range (boot with e.g. memmap=1G!8G)"
	ktap_test_skip hotplug_whole_legacy_pmem_range "no memmap=nn!ss range (boot with e.g. memmap=1G!8G)"
	pm_lo=0
	pm_end=0
fi

# Anything else is refused, with the reason: a PCI window, e820 Reserved, a
# hole nothing describes (where request_free_mem_region() found room), a
# range only partly persistent memory.
base_refusals() {
	n=0
	refuse() {
		if ! mt_expect_errno "Invalid argument" hotplug base="$(printf '%#x' "$1")" size="$2" threads=2; then
			echo "$3 at $(printf '%#x' "$1") size $2 was not refused"
			return 1
		fi
		mt_kv message | grep -q -E 'neither legacy persistent memory|overlaps System RAM' ||
			{ echo "$3: message '$(mt_kv message)'"; return 1; }
		echo "$3 $(printf '%#x' "$1") size $2 refused: $(mt_kv message)"
		n=$((n + 1))
	}
	m128=134217728
	for w in $(sed -n 's/^\([0-9a-f]*\)-\([0-9a-f]*\) : PCI Bus 0000:00$/\1-\2/p' /proc/iomem); do
		lo=$((0x${w%-*}))
		hi=$((0x${w#*-} + 1))
		b=$(((lo + m128 - 1) / m128 * m128))
		[ $((b + m128)) -le $hi ] || continue
		refuse $b 128M "PCI window $w" || return 1
	done
	for w in $(sed -n 's/^\([0-9a-f]*\)-\([0-9a-f]*\) : Reserved$/\1-\2/p' /proc/iomem); do
		lo=$((0x${w%-*}))
		refuse $((lo / m128 * m128)) 128M "e820 Reserved $w" || return 1
	done
	mt hotplug size=1G || return 1
	free=$(($(mt_kv region_base)))
	mt unplug || return 1
	refuse $free 1G "unclaimed hole" || return 1
	if [ "$pm_end" -gt 0 ]; then
		refuse $((pm_end - m128)) 256M "half persistent memory" || return 1
	fi
	echo "$n ranges refused"
	[ $n -ge 3 ] && [ "$(mt_iomem_ours)" = 0 ]
}
ktap_test_result base_outside_legacy_pmem_refused base_refusals
ktap_test_result base_overlapping_ram_rejected mt_expect_errno "Invalid argument" \
	hotplug base=0x100000000 size=128M
ktap_test_result base_unaligned_rejected mt_expect_errno "Invalid argument" \
	hotplug base=0x10004000000 size=128M

# --- the kernel's max_pfn, high_memory and DMA mask --------------------------
# A ZONE_DEVICE plug must leave them as they were (upstream 7170130e4c72):
# high_memory and dma_get_required_mask() as the module reads them, and
# max_pfn as /proc/kpageflags shows it: it ends at max_pfn rounded up to a
# section, so the region's pfns must stay unreadable there.
kpf_bytes() {
	dd if=/proc/kpageflags bs=8 skip="$1" count=1 2>/dev/null | wc -c
}
globals_same() {
	if [ "$(mt_kv high_memory_pfn)" != "$hm0" ] || [ "$(mt_kv dma_required_mask)" != "$dma0" ]; then
		echo "$1: high_memory_pfn $(mt_kv high_memory_pfn) (was $hm0), dma_required_mask $(mt_kv dma_required_mask) (was $dma0)"
		return 1
	fi
	[ "$(kpf_bytes $((hm0 - 1)))" = 8 ] || { echo "$1: /proc/kpageflags ends below max_pfn"; return 1; }
	if [ -n "$2" ] && [ "$(kpf_bytes "$2")" != 0 ]; then
		echo "$1: /proc/kpageflags reads pfn $2: max_pfn was raised"
		return 1
	fi
}
globals_untouched() {
	echo "at load: high_memory_pfn $hm0, dma_required_mask $dma0"
	for how in "size=1G threads=$ncpu" "size=1G threads=1" \
		"base=$(printf '%#x' $pm_lo) size=1G threads=2"; do
		[ "$pm_lo" = 0 ] && case $how in base=*) continue ;; esac
		mt hotplug $how || { grep -v '^#' $C; return 1; }
		end=$(($(mt_kv region_start_pfn) + $(mt_kv region_pages) - 1))
		globals_same "plugged ($how)" $end || return 1
		mt unplug || return 1
		globals_same "unplugged ($how)" $end || return 1
	done
}
ktap_test_result plug_leaves_high_memory_max_pfn_and_dma_mask globals_untouched

# --- reinit and digests ---------------------------------------------------------
mt hotplug size=2G threads="$ncpu"
reinit_poison() {
	mt reinit threads="$ncpu" poison=1 || { grep -v '^#' $C; return 1; }
	[ "$(mt_kv layout_validated)" = 1 ] && [ "$(mt_kv digest_match)" = 1 ] &&
		[ "$(mt_kv digest)" = "$(mt_kv digest_kernel)" ]
}
ktap_test_result reinit_poison_digest_equals_kernel reinit_poison

# Every store kind writes what the kernel wrote, at one thread and at all:
# the template copies (plain, non-temporal) and the per-page compute.
each_store() {
	for st in copy nt compute; do
		for t in 1 "$ncpu"; do
			mt reinit threads="$t" poison=1 store=$st || { grep -v '^#' $C; return 1; }
			[ "$(mt_kv store)" = $st ] && [ "$(mt_kv digest_match)" = 1 ] || {
				echo "store=$st threads=$t: digest_match=$(mt_kv digest_match)"
				return 1
			}
		done
	done
}
ktap_test_result reinit_each_store_equals_kernel each_store

# The kernel marks every pageblock MIGRATE_MOVABLE (1); the poison sets it
# back to 0.  A pageblock reinit leaves poisoned must fail the digest check,
# named; a reinit without poison must write it again (the digest covers the
# pageblock flags, so a reinit that skipped them would fail here).
pageblock_named() {
	start=$(mt_kv region_start_pfn)
	want=$(printf '%#x' $(((start + 70000) / 512 * 512)))
	mt_expect_errno "Input/output error" reinit threads="$ncpu" poison=1 skip_block=70000 || return 1
	grep -v '^#' $C | grep -E 'mismatch|skip_block'
	[ "$(mt_kv skip_block_pfn)" = "$want" ] && [ "$(mt_kv mismatch_pfn)" = "$want" ] &&
		[ "$(mt_kv mismatch_field)" = pageblock_migratetype ] &&
		[ "$(mt_kv mismatch_expected)" = 0x1 ] && [ "$(mt_kv mismatch_found)" = 0x0 ] || return 1
	mt reinit threads="$ncpu" && [ "$(mt_kv digest_match)" = 1 ]
}
ktap_test_result pageblock_migratetype_checked_and_rewritten pageblock_named
store_refusals() {
	mt_expect_errno "Invalid argument" reinit store=fast &&
		mt_expect_errno "Invalid argument" reinit store= &&
		mt_expect_errno "Invalid argument" reinit store=nt twopass=1 &&
		mt_expect_errno "Invalid argument" reinit skip_block=1 &&
		mt_expect_errno "Invalid argument" reinit poison=1 skip_block=1 twopass=1 &&
		mt_expect_errno "Invalid argument" reinit poison=1 skip_block=524288 &&
		mt_expect_errno "Invalid argument" async store=nt &&
		mt reinit && [ "$(mt_kv digest_match)" = 1 ]
}
ktap_test_result store_and_skip_block_arguments_checked store_refusals

# A page reinit skips stays poisoned: the digest check must name its pfn
# and the first word the poison changed (zone_device_data; the poison
# leaves flags, pgmap and mapping readable).
missed_page() {
	start=$(mt_kv region_start_pfn)
	want=$(printf '%#x' $((start + 12345)))
	mt_expect_errno "Input/output error" reinit threads="$ncpu" poison=1 skip=12345 || return 1
	grep -v '^#' $C | grep mismatch
	[ "$(mt_kv digest_match)" = 0 ] && [ "$(mt_kv mismatch_pfn)" = "$want" ] &&
		[ "$(mt_kv mismatch_field)" = zone_device_data ] &&
		[ "$(mt_kv mismatch_found)" = 0xaaaaaaaaaaaaaaaa ]
}
ktap_test_result digest_mismatch_names_pfn_and_field missed_page
verify_finds_it() {
	want=$(printf '%#x' $(($(mt_kv region_start_pfn) + 12345)))
	mt_expect_errno "Input/output error" verify threads="$ncpu" || return 1
	[ "$(mt_kv bad_pages)" = 1 ] && [ "$(mt_kv first_bad_pfn)" = "$want" ] &&
		[ "$(mt_kv first_bad_field)" = refcount ]
}
ktap_test_result verify_finds_the_missed_page verify_finds_it
repaired() {
	mt reinit threads=1 || return 1
	[ "$(mt_kv digest_match)" = 1 ] && mt verify && [ "$(mt_kv bad_pages)" = 0 ]
}
ktap_test_result reinit_repairs_and_verify_passes repaired
ktap_test_result skip_needs_poison mt_expect_errno "Invalid argument" reinit skip=1
ktap_test_result skip_beyond_region_rejected mt_expect_errno "Invalid argument" \
	reinit poison=1 skip=524288
ktap_test_result hotplug_while_plugged_eexist mt_expect_errno "File exists" hotplug size=1G

# The two-pass reinit's first pass must zero what the second does not
# write: a page left poisoned by skip= (index and private stay 0xaa unless
# zeroed) is clean after a two-pass reinit without poison.
twopass_zeroes() {
	mt_expect_errno "Input/output error" reinit poison=1 skip=777 || return 1
	mt reinit threads="$ncpu" twopass=1 || { grep -v '^#' $C; return 1; }
	grep -E '^(reinit_|digest)' $C
	[ "$(mt_kv twopass)" = 1 ] && [ "$(mt_kv digest_match)" = 1 ] &&
		[ "$(mt_kv reinit_zero_ns)" -gt 0 ] &&
		mt verify && [ "$(mt_kv bad_pages)" = 0 ]
}
ktap_test_result reinit_twopass_first_pass_zeroes twopass_zeroes

# memset: its size, its refusals (no size and no region; above the share).
memset_checked() {
	mt memset threads="$ncpu" || return 1
	[ "$(mt_kv memset_size_bytes)" = 33554432 ] && [ "$(mt_kv memset_nt_ns)" -gt 0 ] || return 1
	mt memset size=2M threads=1 && [ "$(mt_kv memset_size_bytes)" = 2097152 ] &&
		mt_expect_errno "Argument list too long" memset size=1T
}
ktap_test_result memset_sizes_and_refusals memset_checked
mt unplug
ktap_test_result memset_needs_a_size_or_region mt_expect_errno "Invalid argument" memset

# The same region plugged by the stock path and by padata_mt_run(): the
# kernel wrote equivalent struct pages and reinit reproduces them.
digests_of() {
	mt hotplug size=2G threads="$1" || return 1
	mt reinit threads="$1" || return 1
	echo "$(mt_kv digest_kernel) $(mt_kv digest)"
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
ktap_test_result reinit_digest_stock_equals_parallel stock_vs_parallel

# --- the digest sees every bit (the test-only flip= knob) --------------------
# flip=I:B makes the digest check after a reinit see bit B of page I's
# struct page flipped (the memmap itself is untouched): every word, both
# ends of it, and every field of page->flags must give EIO naming the pfn,
# the word, the bit and the field; two flips of bit 63 (which a
# multiply-xor hash cancels) must not cancel.  What is tested is the
# digest's code, the same on every kernel: a debug kernel (ten times
# slower) flips bit 63 of each word and the low half of a split one only.
mt hotplug size=128M threads=2
fstart=$(mt_kv region_start_pfn)
K=5
# What each word holds on this kernel ("a/b": two halves), from the module.
fields=$(mt_kv page_words)
flip_named() {
	# flip_named BIT FIELD [FLAGSFIELD]
	if ! mt_expect_errno "Input/output error" reinit flip=$K:"$1"; then
		echo "flip of bit $1 not detected"
		return 1
	fi
	w=$(($1 / 64))
	b=$(($1 % 64))
	got="$(mt_kv mismatch_pfn) $(mt_kv mismatch_word) $(mt_kv mismatch_bit) $(mt_kv mismatch_field) $(mt_kv mismatch_flags_field)"
	want="$(printf '%#x' $((fstart + K))) $w $b $2 $3"
	[ "$got" = "${want% }" ] || [ "$got" = "$want" ] ||
		{ echo "bit $1: got '$got', want '$want'"; return 1; }
}
flip_every_word() {
	n=0
	w=0
	echo "page words: $fields"
	for f in $fields; do
		bits="0 63"
		case $f in */*) bits="0 31 32 63" ;; esac
		if pmt_debug_kernel; then
			bits=63
			case $f in */*) bits="31 63" ;; esac
		fi
		for b in $bits; do
			f2=${f%/*}
			[ "$b" -ge 32 ] && f2=${f#*/}
			[ $w = 0 ] && continue
			flip_named $((w * 64 + b)) "$f2" || return 1
			n=$((n + 1))
		done
		w=$((w + 1))
	done
	echo "$n single-bit flips in words 1-7 (the flags word: next test) detected and named"
}
ktap_test_result flip_one_bit_in_each_word_detected_and_named flip_every_word
flip_flags_fields() {
	ns=$(mt_kv page_flags_node_shift)
	nw=$(mt_kv page_flags_node_width)
	zs=$(mt_kv page_flags_zone_shift)
	ss=$(mt_kv page_flags_section_shift)
	sw=$(mt_kv page_flags_section_width)
	ls=$(mt_kv page_flags_last_cpupid_shift)
	lw=$(mt_kv page_flags_last_cpupid_width)
	res=$(mt_kv page_flags_pg_reserved_bit)
	echo "page->flags: node $ns+$nw, zone $zs+$(mt_kv page_flags_zone_width), section $ss+$sw, last_cpupid $ls+$lw, PG_reserved $res"
	flip_named "$ns" flags node && flip_named $((ns + nw - 1)) flags node &&
		flip_named "$zs" flags zone && flip_named "$res" flags PG_reserved || return 1
	pmt_debug_kernel || flip_named 0 flags flag_bit || return 1
	if [ "$sw" -gt 0 ]; then
		flip_named "$ss" flags section || return 1
	else
		echo "no section field in page->flags here (SPARSEMEM_VMEMMAP)"
	fi
	if [ "$lw" -gt 0 ]; then
		flip_named "$ls" flags last_cpupid || return 1
	fi
}
ktap_test_result flip_each_page_flags_field_detected_and_named flip_flags_fields
flip_pairs() {
	for pair in "$K:319,$K:383" "$K:319,$((K + 1)):319" "$K:63,$((K + 1)):63" \
		"$K:63,$((K + 2)):63,$((K + 3)):63,$((K + 4)):63"; do
		if ! mt_expect_errno "Input/output error" reinit flip="$pair"; then
			echo "flip=$pair cancelled out in the digest"
			return 1
		fi
	done
	mt reinit && [ "$(mt_kv digest_match)" = 1 ]
}
ktap_test_result flips_of_bit63_in_two_words_do_not_cancel flip_pairs
flip_refusals() {
	mt_expect_errno "Invalid argument" reinit flip=1:512 &&
		mt_expect_errno "Invalid argument" reinit flip=1:3,1:3 &&
		mt_expect_errno "Invalid argument" reinit flip=1 &&
		mt_expect_errno "Invalid argument" reinit flip=1:1,2:2,3:3,4:4,5:5 &&
		mt_expect_errno "Invalid argument" reinit flip=65536:1 &&
		mt_expect_errno "Invalid argument" verify flip=1:1
}
ktap_test_result flip_arguments_checked flip_refusals
mt unplug

# --- a poisoned page at the first pfn of a piece -----------------------------
# memunmap_pages() reads that page's zone and node: skip= there, then
# unplug, and then rmmod with such a region plugged.
skip_first_of_piece() {
	for k in 0 $((2 * sec)) $((4 * sec)) $((6 * sec)); do
		mt hotplug size=1G threads=2 pieces=4 || return 1
		start=$(mt_kv region_start_pfn)
		mt_expect_errno "Input/output error" reinit poison=1 skip=$k || return 1
		[ "$(mt_kv mismatch_pfn)" = "$(printf '%#x' $((start + k)))" ] || return 1
		mt unplug || return 1
	done
	mt hotplug size=1G threads=1 || return 1
	mt_expect_errno "Input/output error" reinit poison=1 skip=0 || return 1
	mt unplug && [ "$(mt_iomem_ours)" = 0 ]
}
ktap_test_result skip_at_first_page_of_a_piece_then_unplug skip_first_of_piece

# --- refusals -------------------------------------------------------------------
ktap_test_result unplug_without_region_enoent mt_expect_errno "No such file" unplug
ktap_test_result reinit_without_region_enoent mt_expect_errno "No such file" reinit
ktap_test_result memmap_above_max_pct_e2big mt_expect_errno "Argument list too long" \
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
		"hotplug size=0x0x1G" "hotplug size=1G base=0x0x100000000" \
		"hotplug size=1G threads=0x0x1" "sync pfn=0X0x10" "hotplug size=0xG" \
		"unplug size=1G" "verify threads=1 threads=1" "bench size=1G threads=2,1" \
		"bench size=1G repeats=0" "bench size=1G repeats=101" "memset size=1G,2G" \
		"HOTPLUG size=1G" "hotplug	size=1G	bogus=1"; do
		mt_expect_errno "Invalid argument" "$c" || return 1
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
	mt_expect_errno "Invalid argument" "hotplug size=1G $long" || return 1
	n=$((n + 1))
	echo "$n malformed writes refused"
	[ "$(mt_iomem_ours)" = 0 ] && [ "$(mt_kv region_plugged)" = 0 ]
}
ktap_test_result malformed_writes_einval malformed

# A refused write leaves its own results: mt_kv never reads an older one's.
own_results() {
	mt hotplug size=1G || return 1
	mt_expect_errno "Invalid argument" hotplug size=1X || return 1
	[ "$(mt_kv command)" = hotplug ] && [ "$(mt_kv result)" = -22 ] &&
		mt_kv message | grep -q 'needs a unit' && [ "$(mt_kv region_plugged)" = 1 ] || return 1
	mt_expect_errno "Invalid argument" "frobnicate now" || return 1
	[ "$(mt_kv command)" = none ] && mt_kv message | grep -q "unknown command 'frobnicate'" ||
		return 1
	mt unplug && [ "$(mt_kv result)" = 0 ] && [ -z "$(mt_kv message)" ]
}
ktap_test_result refused_write_leaves_its_own_results own_results

# --- injected failure (test-only fail_piece=) -------------------------------------
# Pieces plugged before the injected failure are unplugged: their memmaps
# (3 of 4 pieces of 8G: 96 MiB) come back.
injected() {
	free0=$(pmt_memfree_kb)
	mt_expect_errno "Input/output error" hotplug size=8G threads="$ncpu" pieces=4 fail_piece=3 ||
		return 1
	free1=$(pmt_memfree_kb)
	echo "MemFree before ${free0} kB, after the failed hotplug ${free1} kB"
	[ "$(mt_kv region_plugged)" = 0 ] && [ "$(mt_iomem_ours)" = 0 ] &&
		[ $((free0 - free1)) -lt 16384 ] || return 1
	plug_verify_unplug 2G "$ncpu"
}
ktap_test_result injected_piece_failure_leaves_nothing injected

# --- SIGKILL of the writer: the job is cancelled, never half done -----------------
# The kill comes once the command runs (busy=1); it must land while the
# command runs (write_result=-4), in one of three tries.  The region is
# then fully plugged (the kill came after the last piece) or not at all,
# and its memmap is back.
killed() {
	for try in 1 2 3; do
		free0=$(pmt_memfree_kb)
		if ! mt_kill_during hotplug size=16G threads="$ncpu" pieces=16; then
			echo "try $try: the hotplug ended before the kill"
			[ "$(mt_kv region_plugged)" = 1 ] && mt unplug
			continue
		fi
		echo "try $try: $(grep -E '^(command|result|write_result|message|region_plugged)=' $C | tr '\n' ' ')"
		if [ "$(mt_kv result)" = 0 ]; then
			[ "$(mt_kv region_plugged)" = 1 ] && [ "$(mt_iomem_ours)" = 1 ] &&
				mt verify && [ "$(mt_kv bad_pages)" = 0 ] && mt unplug
			return
		fi
		free1=$(pmt_memfree_kb)
		[ "$(mt_kv result)" = -125 ] && [ "$(mt_kv region_plugged)" = 0 ] &&
			[ "$(mt_iomem_ours)" = 0 ] && [ $((free0 - free1)) -lt 16384 ]
		return
	done
	return 1
}
ktap_test_result sigkill_writer_all_or_nothing killed

# --- no leak over 20 cycles --------------------------------------------------------
# Free memory (pmt_memfree_kb) is compared with a 16 MiB tolerance: slab, the
# results buffers and page tables move it by a few MiB either way.  One cycle's memmap
# is 64 MiB here, so a leaked memmap (or ~1 MiB per cycle) still fails.
cycles() {
	mt hotplug size=4G threads="$ncpu" && mt unplug || return 1
	io0=$(cat /proc/iomem)
	# Reclaimable slab and caches are not a leak: both readings without them.
	echo 3 > /proc/sys/vm/drop_caches
	free0=$(pmt_memfree_kb)
	i=0
	while [ $i -lt 20 ]; do
		mt hotplug size=4G threads="$ncpu" || return 1
		mt unplug threads="$ncpu" || return 1
		i=$((i + 1))
	done
	echo 3 > /proc/sys/vm/drop_caches
	free1=$(pmt_memfree_kb)
	echo "MemFree before ${free0} kB, after ${free1} kB"
	[ "$(cat /proc/iomem)" = "$io0" ] || { echo "/proc/iomem changed"; return 1; }
	[ $((free0 - free1)) -lt 16384 ]
}
ktap_test_result plug_unplug_20_cycles_no_leak cycles

# --- EBUSY while a bench runs, then its table ----------------------------------------
busy() {
	echo "bench size=4G threads=1,$ncpu repeats=2" >$C 2>/tmp/bench.err &
	pid=$!
	i=0
	while [ "$(mt_kv busy)" != 1 ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	if [ "$(mt_kv busy)" != 1 ]; then
		echo "the bench never showed busy=1 within 10 s"
		wait $pid
		cat /tmp/bench.err
		return 1
	fi
	mt_expect_errno "Device or resource busy" verify
	r=$?
	wait $pid
	b=$?
	[ $b = 0 ] || { echo "bench failed: $(cat /tmp/bench.err)"; grep -v '^#' $C; }
	[ $r = 0 ] && [ $b = 0 ]
}
ktap_test_result command_during_bench_ebusy busy
table_ok() {
	cat $dbg/table
	for op in hotplug unplug reinit_fresh reinit reinit_copy reinit_nt \
		reinit_compute reinit_twopass memset memset_nt memmap_nt; do
		grep -q "^$op" $dbg/table || return 1
		[ -n "$(mt_kv bench_${op}_t1_median_ns)" ] || return 1
	done
	grep -q 'node% (thr)   speedup   time_ms (  stdev)' $dbg/table &&
		[ "$(mt_kv digest_match)" = 1 ] && [ "$(mt_kv ref_match)" = 1 ] &&
		[ "$(mt_iomem_ours)" = 0 ]
}
ktap_test_result bench_table_and_keys table_ok

# --- rmmod with a region plugged ---------------------------------------------------------
# One of them left poisoned at the first page of a piece (skip=0).
rmmod_plugged() {
	free0=$(pmt_memfree_kb)
	mt hotplug size=8G threads="$ncpu" || return 1
	mt_expect_errno "Input/output error" reinit poison=1 skip=0 || return 1
	rmmod memmap_test || return 1
	free1=$(pmt_memfree_kb)
	echo "MemFree before ${free0} kB, after rmmod ${free1} kB"
	[ "$(mt_iomem_ours)" = 0 ] && [ $((free0 - free1)) -lt 16384 ]
}
ktap_test_result rmmod_with_region_plugged_cleans_up rmmod_plugged
pmt_eq iomem_back_to_start "$iomem0" "$(cat /proc/iomem)"
ktap_test_result memmap_test_reloads modprobe memmap_test
ktap_test_result unloads_clean rmmod memmap_test
