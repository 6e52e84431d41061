# shellcheck shell=sh
# memmap_test async re-initialisation with on-demand sync (issue 8): the
# background pass completes with the kernel's digest; a sync range is fully
# initialised when sync returns (its digest is checked at that moment), it
# waits for a section in progress; 100 random syncs race a pass and every
# section ends initialised; a new command, unplug or rmmod cancels a pass
# and leaves no section DONE that is not initialised; verify during a pass
# checks only DONE sections; the kernel's own reader (memory_failure()
# through hwpoison-inject) on the pages a cancelled poisoned pass left; a killed reinit and a killed two-pass reinit (on a
# region that never ran async) are finished by sync.  Passes run with
# poison=1 (every section scribbled first, so a section nobody initialised
# shows) and the test-only delay_ms= (each section held IN_PROGRESS that
# long), so that they last long enough to race with.

ktap_set_plan 22

# mt, mt_err, mt_expect_errno, mt_kv, mt_iomem_ours: lib.sh.
dbg=/sys/kernel/debug/memmap_test
C=$MT_CONTROL
A=$dbg/async
ncpu=$(nproc)
[ "$ncpu" -gt 1 ] || ncpu=2

# st KEY: that key in the async status file.
st() {
	sed -n "s/^$1=//p" $A | tail -n 1
}

show() {
	echo "-- control:"
	grep -v '^#' $C
	echo "-- async:"
	cat $A
}

# Wait (at most 60 s) for the background pass to end.
async_wait() {
	w_i=0
	while [ "$(st async_running)" = 1 ]; do
		[ $w_i -lt 600 ] || { echo "async pass still running after 60 s"; return 1; }
		sleep 0.1
		w_i=$((w_i + 1))
	done
}

# A completed pass: result 0, every section done exactly once, the digest
# of the whole region equal to the kernel's.
pass_complete_ok() {
	if ! { [ "$(st async_result)" = 0 ] &&
		[ "$(st async_sections_done)" = "$(st async_sections_total)" ] &&
		[ "$(st async_sections_initialised_twice)" = 0 ] &&
		[ "$(st async_sections_never_initialised)" = 0 ] &&
		[ "$(st digest_match)" = 1 ] &&
		[ "$(st digest)" = "$(st digest_kernel)" ]; }; then
		show
		return 1
	fi
}

ktap_test_result memmap_test_loads modprobe memmap_test
refused_without_region() {
	mt_expect_errno "No such file" async && mt_expect_errno "No such file" sync &&
		[ "$(st async_running)" = 0 ] &&
		[ "$(stat -c %a $A)" = 400 ]
}
ktap_test_result async_and_sync_without_region_enoent refused_without_region

mt hotplug size=8G threads="$ncpu"
start=$(mt_kv region_start_pfn)
pages=$(mt_kv region_pages)
sections=$(mt_kv region_sections)
sec=32768

# --- the strict parser ------------------------------------------------------------
malformed() {
	end=$((start + pages))
	mt_expect_errno "Invalid argument" sync pfn="$(printf '%#x' $((start - 1)))" &&
		mt_expect_errno "Invalid argument" sync pfn="$(printf '%#x' $end)" &&
		mt_expect_errno "Invalid argument" sync pfn="$(printf '%#x' $((end - 1)))" count=2 &&
		mt_expect_errno "Invalid argument" sync count=0 &&
		mt_expect_errno "Invalid argument" sync pfn=12x &&
		mt_expect_errno "Invalid argument" sync pfn=1 pfn=1 &&
		mt_expect_errno "Invalid argument" sync poison=1 &&
		mt_expect_errno "Invalid argument" async delay_ms=1001 &&
		mt_expect_errno "Invalid argument" async count=1 &&
		mt_expect_errno "Invalid argument" reinit twopass=2 &&
		mt_expect_errno "Invalid argument" reinit twopass=1 poison=1 skip=1 &&
		[ "$(st async_running)" = 0 ]
}
ktap_test_result async_sync_twopass_malformed_einval malformed

# --- a pass returns at once and completes with the kernel's digest ---------------
at_once() {
	mt async threads="$ncpu" poison=1 delay_ms=100 || { show; return 1; }
	r=$(st async_running)
	d=$(st async_sections_done)
	echo "right after the write: running=$r done=$d of $sections"
	[ "$r" = 1 ] && [ "$d" -lt "$sections" ] &&
		grep -q '^async_running=1$' $C
}
ktap_test_result async_returns_while_pass_runs at_once
completes() {
	async_wait || return 1
	pass_complete_ok || return 1
	mt verify && [ "$(mt_kv bad_pages)" = 0 ] &&
		[ "$(mt_kv verify_sections_skipped)" = 0 ] && [ "$(mt_kv verify_pages)" = "$pages" ]
}
ktap_test_result async_complete_digest_equals_kernel completes

# --- sync ----------------------------------------------------------------------
# A range near the end (the pass works upward from section 0): sync
# initialises it in the foreground while the pass runs, and its digest,
# taken as sync returns, is the kernel's.  That sync initialised a section
# itself proves the pass had not reached it; whether the pass still runs
# once sync has returned depends on the guest's speed, so it is shown, not
# asserted.
sync_range() {
	mt async threads="$ncpu" poison=1 delay_ms=100 || return 1
	pfn=$(printf '%#x' $((start + (sections - 3) * sec + 100)))
	mt sync pfn="$pfn" count=$((2 * sec)) || { show; return 1; }
	grep -E '^sync_' $C
	if ! { [ "$(mt_kv sync_sections)" = 3 ] && [ "$(mt_kv sync_digest_match)" = 1 ] &&
		[ "$(mt_kv sync_sections_not_done)" = 0 ] &&
		[ "$(mt_kv sync_sections_initialised)" -ge 1 ]; }; then
		show
		return 1
	fi
	echo "after sync: async_running=$(st async_running)"
}
ktap_test_result sync_range_initialised_when_it_returns sync_range
# The pass holds each section IN_PROGRESS for 1 s: a sync of a section the
# pass holds must wait for the pass, not initialise it a second time.  The
# async file names a section being held (async_in_progress_pfn=); the sync
# of it comes right after it was read, not after a guessed head start, so
# a slow or loaded guest does not miss the window.  Up to four passes (a
# sync that still comes too late finds the section done); every try must
# leave the section initialised with the kernel's digest, and one must
# have waited.
sync_waits() {
	for try in 1 2 3 4; do
		mt async threads="$ncpu" poison=1 delay_ms=1000 || return 1
		n=0
		p=none
		while [ "$p" = none ] && [ $n -lt 200 ] &&
			[ "$(st async_running)" = 1 ]; do
			p=$(st async_in_progress_pfn)
			n=$((n + 1))
		done
		if [ "$p" = none ]; then
			echo "try $try: no section seen in progress ($n reads)"
			continue
		fi
		mt sync pfn="$p" count=1 || { show; return 1; }
		grep -E '^sync_' $C
		if ! { [ "$(mt_kv sync_digest_match)" = 1 ] &&
			[ "$(mt_kv sync_sections_not_done)" = 0 ] &&
			[ $(($(mt_kv sync_sections_waited) + $(mt_kv sync_sections_initialised))) -le 1 ]; }; then
			show
			return 1
		fi
		if [ "$(mt_kv sync_sections_waited)" = 1 ] &&
			[ "$(mt_kv sync_sections_initialised)" = 0 ]; then
			echo "try $try: waited for the pass on pfn $p"
			return 0
		fi
		echo "try $try: pfn $p was no longer in progress when sync came"
	done
	show
	return 1
}
ktap_test_result sync_waits_for_section_in_progress sync_waits

# --- 100 random syncs racing the pass; exactly once per section -------------------
racing() {
	mt async threads="$ncpu" poison=1 delay_ms=100 || return 1
	pfns=$(awk -v s="$start" -v n="$pages" 'BEGIN { srand(8); for (i = 0; i < 100; i++) printf "%d ", s + int(rand() * n) }')
	n=0
	during=0
	for p in $pfns; do
		mt sync pfn="$p" count=1 || { echo "sync pfn=$p failed"; show; return 1; }
		if ! { [ "$(mt_kv sync_digest_match)" = 1 ] &&
			[ "$(mt_kv sync_sections_not_done)" = 0 ]; }; then
			echo "sync pfn=$p"
			show
			return 1
		fi
		n=$((n + 1))
		[ "$(st async_running)" = 1 ] && during=$((during + 1))
	done
	echo "$n syncs, $during returned while the pass was running"
	async_wait || return 1
	echo "sections by sync $(st async_sections_by_sync), by the pass $(st async_sections_by_background)"
	[ $n = 100 ] && [ $during -ge 1 ] && pass_complete_ok
}
ktap_test_result hundred_random_syncs_race_the_pass racing
# What the struct pages say, not the module's counters: every page of
# every section initialised (verify reads them all, none skipped).
all_clean() {
	mt verify || { show; return 1; }
	if ! { [ "$(mt_kv bad_pages)" = 0 ] && [ "$(mt_kv verify_sections_skipped)" = 0 ] &&
		[ "$(mt_kv verify_pages)" = "$pages" ]; }; then
		show
		return 1
	fi
}
ktap_test_result every_page_initialised_after_racing_syncs all_clean
# A sync of the whole region during a pass (at least 3.2 s with sections
# held 100 ms) claims every section not yet claimed, initialises them, then
# waits for the ones in progress: no section may be initialised by both.
# Whether any is still in progress once sync has initialised its own
# depends on the guest's speed (on a debug kernel sync's share outlasts the
# holds), so sync_sections_waited is shown; the waiting itself is
# sync_waits_for_section_in_progress.
whole_sync() {
	mt async threads="$ncpu" poison=1 delay_ms=100 || return 1
	sleep 0.2
	mt sync threads="$ncpu" || { show; return 1; }
	grep -E '^sync_' $C
	[ "$(mt_kv sync_digest_match)" = 1 ] && [ "$(mt_kv sync_sections_initialised)" -ge 1 ] &&
		async_wait && pass_complete_ok && all_clean
}
ktap_test_result whole_region_sync_during_pass_exactly_once whole_sync

# --- verify during a pass ----------------------------------------------------------
# Sections are held 1 s each, so the pass (32 s on 64 sections and two
# threads) outlasts even a debug kernel's verify; the next test cancels it.
verify_during() {
	mt async threads="$ncpu" poison=1 delay_ms=1000 || return 1
	mt verify || { show; return 1; }
	grep -E '^(verify_|bad_pages)' $C
	[ "$(mt_kv bad_pages)" = 0 ] && [ "$(mt_kv verify_sections_skipped)" -ge 1 ] &&
		! grep -q '^async_stopped=' $C
}
ktap_test_result verify_during_pass_checks_only_done_sections verify_during

# --- cancel -------------------------------------------------------------------------
# The passes below hold each section 200 ms (at least 6 s in all), so they
# are still running when the next command comes, however slow the guest;
# each is cancelled, so the long holds cost at most one hold.
# A new command cancels the pass; every section it left DONE verifies clean,
# the others are skipped; a full reinit then gives the kernel's digest.
cancelled() {
	mt async threads="$ncpu" poison=1 delay_ms=200 || return 1
	sleep 0.3
	mt memset size=2M || { show; return 1; }
	[ "$(mt_kv async_stopped)" = 1 ] || { show; return 1; }
	done_=$(st async_sections_done)
	echo "cancelled with $done_ of $sections sections done"
	if ! { [ "$(st async_running)" = 0 ] && [ "$(st async_result)" = -125 ] &&
		[ "$done_" -lt "$sections" ]; }; then
		show
		return 1
	fi
	mt verify || { show; return 1; }
	if ! { [ "$(mt_kv bad_pages)" = 0 ] &&
		[ "$(mt_kv verify_sections_skipped)" = $((sections - done_)) ]; }; then
		show
		return 1
	fi
}
ktap_test_result new_command_cancels_pass_no_half_done_section cancelled
reinit_after_cancel() {
	mt reinit threads="$ncpu" || { show; return 1; }
	[ "$(mt_kv digest_match)" = 1 ] && mt verify &&
		[ "$(mt_kv verify_sections_skipped)" = 0 ] && [ "$(mt_kv bad_pages)" = 0 ]
}
ktap_test_result full_reinit_after_cancel_digest_equals_kernel reinit_after_cancel
# A sync after a cancel initialises what the pass left.
sync_after_cancel() {
	mt async threads="$ncpu" poison=1 delay_ms=200 || return 1
	mt async threads="$ncpu" poison=1 delay_ms=200 || return 1
	[ "$(mt_kv async_stopped)" = 1 ] || { show; return 1; }
	mt memset size=2M || return 1
	[ "$(st async_result)" = -125 ] || { show; return 1; }
	mt sync || { show; return 1; }
	[ "$(mt_kv sync_digest_match)" = 1 ] && [ "$(mt_kv sync_sections)" = "$sections" ] &&
		[ "$(mt_kv sync_sections_initialised)" -ge 1 ]
}
ktap_test_result new_async_cancels_and_sync_completes_the_rest sync_after_cancel

# --- the kernel's readers on a cancelled poisoned pass ------------------------
# A cancelled async poison=1 leaves the sections it did not reach poisoned
# in a live pgmap: memory_failure() (hwpoison-inject's corrupt-pfn) finds
# the pgmap and reads the page (compound_head, mapping for dax_lock_page(),
# the node for its statistics).  No oops; memory_failure() gives up with EBUSY
# (the page has no mapping), nothing is left poisoned; sync then finishes.
hwp=/sys/kernel/debug/hwpoison/corrupt-pfn
hw_readers() {
	mt async threads="$ncpu" poison=1 delay_ms=300 || return 1
	mt memset size=2M || return 1
	[ "$(st async_result)" = -125 ] || { show; return 1; }
	done_=$(st async_sections_done)
	echo "cancelled with $done_ of $sections sections done"
	# Threads claim chunks of at most sections/(4 x threads) sections in
	# ascending order, one ahead each: a pass cancelled before half the
	# region left the last section poisoned (its pfns are read first).
	if [ "$done_" -ge $((sections / 2)) ]; then
		echo "the pass reached $done_ of $sections sections: the last one may not be poisoned"
		return 1
	fi
	n=0
	for p in $((start + (sections - 1) * sec + 5)) $((start + pages - 1)) \
		$((start + (sections / 2) * sec)) $((start + 1)) "$start"; do
		e=$( { echo "$p" >$hwp; } 2>&1) && { echo "pfn $p: memory_failure() succeeded"; return 1; }
		case "$e" in
		*'Device or resource busy'*) ;;
		*) echo "pfn $p: $e"; return 1 ;;
		esac
		n=$((n + 1))
	done
	echo "$n pfns through memory_failure(), 2 of them poisoned: EBUSY, no oops"
	mt sync || { show; return 1; }
	[ "$(mt_kv sync_digest_match)" = 1 ] && all_clean
}
if grep -qx mm/hwpoison-inject /etc/pmt/distro-modules-missing 2>/dev/null; then
	ktap_test_skip memory_failure_on_cancelled_poisoned_pass "this kernel has no hwpoison-inject.ko (no CONFIG_MEMORY_FAILURE)"
elif modprobe hwpoison-inject; then
	ktap_test_result memory_failure_on_cancelled_poisoned_pass hw_readers
	rmmod hwpoison-inject
else
	ktap_test_fail memory_failure_on_cancelled_poisoned_pass "modprobe hwpoison-inject failed"
fi

# --- killed reinits ------------------------------------------------------------------
# kill_reinit CMD: mt_kill_during CMD until the kill lands while it runs
# and cancels it (three tries).
kill_reinit() {
	for try in 1 2 3; do
		if mt_kill_during "$@" && [ "$(mt_kv result)" = -125 ]; then
			echo "try $try: $(grep -E '^(command|twopass|result|write_result)=' $C | tr '\n' ' ')"
			return 0
		fi
		echo "try $try: '$*' ended before the kill ($(mt_kv result))"
	done
	return 1
}
# One pass, poisoned: it stops between sections, so no section is left
# poisoned; sync has nothing to do; verify and unplug.
killed_reinit() {
	kill_reinit reinit threads="$ncpu" poison=1 || return 1
	mt sync || { show; return 1; }
	grep -E '^sync_' $C
	[ "$(mt_kv sync_digest_match)" = 1 ] && all_clean
}
ktap_test_result killed_reinit_then_sync_verify killed_reinit
ktap_test_result unplug_after_killed_reinit mt unplug
# Two passes, on a region that never ran async: the sections the first
# pass zeroed and the second did not reach are not done; verify skips
# them, sync initialises them (at least one), then every page is clean.
# 8G on every kernel: a 2G two-pass reinit on the debug kernel ended
# before the kill landed, three tries in a row (debug-6.12, 2026-12-02).
killed_twopass() {
	mt hotplug size=8G threads="$ncpu" || return 1
	mt reinit threads="$ncpu" || return 1
	for try2 in 1 2 3; do
		kill_reinit reinit threads="$ncpu" twopass=1 poison=1 || return 1
		mt verify || { show; return 1; }
		[ "$(mt_kv bad_pages)" = 0 ] || { show; return 1; }
		skipped=$(mt_kv verify_sections_skipped)
		mt sync || { show; return 1; }
		echo "verify skipped $skipped sections; sync initialised $(mt_kv sync_sections_initialised)"
		[ "$(mt_kv sync_digest_match)" = 1 ] && [ "$(mt_kv sync_sections_initialised)" = "$skipped" ] ||
			{ show; return 1; }
		all_clean || return 1
		[ "$skipped" -ge 1 ] && return 0
		echo "round $try2: the kill left no zeroed section; again"
	done
	return 1
}
ktap_test_result killed_twopass_without_async_then_sync_verify killed_twopass

# --- unplug and rmmod during a pass ----------------------------------------------
# (on the region the killed two-pass reinit left)
unplug_during() {
	mt async threads="$ncpu" poison=1 delay_ms=200 || return 1
	mt unplug || { show; return 1; }
	if ! { [ "$(mt_kv async_stopped)" = 1 ] && [ "$(mt_kv region_plugged)" = 0 ] &&
		[ "$(mt_iomem_ours)" = 0 ] && [ "$(st async_result)" = -125 ]; }; then
		show
		return 1
	fi
}
ktap_test_result unplug_during_pass_cancels_it unplug_during
rmmod_during() {
	mt hotplug size=8G threads="$ncpu" || return 1
	mt async threads="$ncpu" poison=1 delay_ms=200 || return 1
	[ "$(st async_running)" = 1 ] || { show; return 1; }
	rmmod memmap_test || return 1
	[ "$(mt_iomem_ours)" = 0 ]
}
ktap_test_result rmmod_during_pass_cancels_and_waits rmmod_during
reloads() {
	modprobe memmap_test && mt hotplug size=1G && mt async && async_wait &&
		pass_complete_ok && mt unplug
}
ktap_test_result reloads_and_runs_a_pass reloads
ktap_test_result unloads_clean rmmod memmap_test
