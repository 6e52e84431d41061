# shellcheck shell=sh
# Fault injection (kernels with failslab and fail_page_alloc: the debug
# lane's).  Allocations fail on purpose, one at a time, at every point a
# sweep reaches: padata_mt_run() jobs whose thread_fn allocates (in the
# caller and in the helpers), memmap_test hotplug (threads=1 and 2) and
# reinit.  Every failure must come back as an error with nothing left
# behind (no region, no /proc/iomem entry, nothing allocated by the job),
# and nothing may splat; kmemleak judges the leaks at the end of the run
# (debug-end.sh).  Allocation-failure traces (vmalloc's and vmemmap's
# warn_alloc) are expected: each sweep runs in an "allocfail" window.  So is
# one kernel WARN: x86 add_pages() (6.1) does WARN_ON_ONCE() when
# __add_pages() fails, e.g. on an injected allocation failure inside
# memremap_pages(); the memmap sweeps run with panic_on_warn off in an
# "addpages" window, and any other WARN there still fails the run.
#
# The sweeps use fail-nth (/proc/<pid>/fail-nth: the Nth allocation that
# passes the filters fails) on the one task that does the work: the writer
# for the engine's jobs, memmap_test's command kthread for its commands.
# failslab/fail_page_alloc's own settings pick which allocations count
# (ignore-gfp-wait=N so GFP_KERNEL ones do; cache-filter or min-order to
# leave one allocator out).  N runs 1..8, then grows by a quarter each step
# (8, 10, 12, 15, 18, 22, ...): every early failure point (our own
# allocations come first) and a sample of the later ones (the kernel's,
# inside memremap_pages() and the like), until the command no longer
# reaches its Nth allocation.  Under TCG a debug-kernel step costs seconds.

fs=/sys/kernel/debug/failslab
fp=/sys/kernel/debug/fail_page_alloc
if [ ! -d $fs ] || [ ! -d $fp ]; then
	ktap_skip_all "kernel without failslab and fail_page_alloc (the debug lane has them)"
fi

ktap_set_plan 12

dbg=/sys/kernel/debug
fj=$dbg/padata_mt_selftest/fault_job
C=$dbg/memmap_test/control
# A sweep stops when the command no longer reaches its Nth allocation, or
# at N > cap.
cap=${PMT_FI_CAP:-4000}

# next_n: the sweep's next N, in $n.
next_n() {
	if [ "$n" -lt 8 ]; then
		n=$((n + 1))
	else
		n=$((n + n / 4))
	fi
}

# fi_mode slab|page|both|engine|off: which allocations fail-nth counts.
fi_mode() {
	for d in $fs $fp; do
		echo 0 >"$d/probability"
		echo 1 >"$d/interval"
		echo -1 >"$d/times"
		echo 0 >"$d/space"
		echo 1 >"$d/verbose"
		echo N >"$d/task-filter"
	done
	case $1 in
	slab) set -- N N Y 99 ;;
	page) set -- N Y N 0 ;;
	both) set -- N N N 0 ;;
	engine) set -- N Y N 0 ;;
	off) set -- Y N Y 1 ;;
	esac
	echo "$1" >$fs/ignore-gfp-wait
	echo "$2" >$fs/cache-filter
	echo "$3" >$fp/ignore-gfp-wait
	echo "$4" >$fp/min-order
	[ "$1" = Y ] && echo 2 >$fs/verbose && echo 2 >$fp/verbose
	return 0
}

fi_mode off
ktap_test_result padata_mt_selftest_loads modprobe padata_mt_selftest combos=10 callers=4

# --- padata_mt_run(): a job whose thread_fn allocates ---------------------
fj_res() {
	cat $fj
}
fj_clean() {
	case "$(fj_res)" in
	*clean=1*) return 0 ;;
	esac
	fj_res
	return 1
}
fault_job_plain() {
	echo go >$fj || { fj_res; return 1; }
	fj_clean && fj_res | grep -q '^ret=0 '
}
ktap_test_result fault_job_without_injection fault_job_plain

# failslab, restricted to the job's own cache (booted with
# slub_debug=A,padata_mt_st_fault), fails once at the kth allocation of
# the job, whichever thread makes it.
slabflag=/sys/kernel/slab/padata_mt_st_fault/failslab
fault_job_failslab() {
	for k in 1 2 17 64 100 150 200 255 256 300; do
		fi_mode engine
		echo Y >$fs/cache-filter
		echo 100 >$fs/probability
		echo 1 >$fs/times
		echo $((k * 64)) >$fs/space
		echo go >$fj 2>/dev/null
		r=$(fj_res)
		t=$(cat $fs/times)
		fi_mode off
		echo "k=$k: $r (times left $t)"
		fj_clean >/dev/null || return 1
		if [ "$k" -le 256 ]; then
			# The kth allocation failed: the job says so.
			[ "$t" = 0 ] || return 1
			case "$r" in ret=-12\ *) ;; *) return 1 ;; esac
		else
			case "$r" in ret=0\ *) ;; *) return 1 ;; esac
		fi
	done
}
if [ "$(cat $slabflag 2>/dev/null)" = 1 ]; then
	pmt_expect_splat_begin allocfail fault_job_failslab
	ktap_test_result fault_job_failslab_in_any_thread fault_job_failslab
	pmt_expect_splat_end allocfail fault_job_failslab
	ktap_print_msg "$(cat "$T_STATE/out")"
else
	ktap_test_skip fault_job_failslab_in_any_thread "padata_mt_st_fault is not a failslab cache: boot with slub_debug=A,padata_mt_st_fault"
fi

# fail-nth on the writer (the job's caller): every allocation of the
# caller's chunks (pages, and objects from the job's cache) fails in turn.
fault_job_sweep() {
	n=0
	steps=0
	while [ $n -lt "$cap" ]; do
		next_n
		steps=$((steps + 1))
		fi_mode engine
		(
			echo $n >/proc/self/fail-nth
			echo go >$fj
			read -r left </proc/self/fail-nth
			echo "$left" >/tmp/fi.left
		) 2>/dev/null
		fi_mode off
		fj_clean || { echo "step $n"; return 1; }
		[ "$(cat /tmp/fi.left)" = 0 ] || break
	done
	echo "$steps steps: the caller's allocation 1..8, 10, 12, 15, ... (up to $n) failed in turn"
	[ $steps -gt 1 ]
}
pmt_expect_splat_begin allocfail fault_job_sweep
ktap_test_result fault_job_caller_fail_nth_sweep fault_job_sweep
pmt_expect_splat_end allocfail fault_job_sweep
ktap_print_msg "$(cat "$T_STATE/out")"
ktap_test_result padata_mt_selftest_unloads rmmod padata_mt_selftest

# --- memmap_test: hotplug and reinit (mt, mt_kv, mt_iomem_ours: lib.sh) -----
mt_pid() {
	for d in /proc/[0-9]*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = memmap_test ] && echo "${d#/proc/}" && return 0
	done
	return 1
}

# sweep NAME MODE CMD...: fail the kthread's 1st, 2nd, ... allocation (of
# MODE) during CMD; after each step: an error leaves no region, a success
# leaves one (unplugged again unless CMD is not a hotplug).  Ends when CMD
# runs without reaching its Nth allocation.
sweep() {
	s_name=$1
	s_mode=$2
	shift 2
	n=0
	steps=0
	errs=
	while [ $n -lt "$cap" ]; do
		next_n
		steps=$((steps + 1))
		fi_mode "$s_mode"
		echo $n >"/proc/$pid/fail-nth"
		mt "$@" 2>/dev/null
		rc=$?
		left=$(cat "/proc/$pid/fail-nth")
		echo 0 >"/proc/$pid/fail-nth"
		fi_mode off
		res=$(mt_kv result)
		plugged=$(mt_kv region_plugged)
		if [ $rc = 0 ]; then
			[ "$res" = 0 ] || { echo "step $n: write ok, result=$res"; return 1; }
		else
			[ "$res" != 0 ] || { echo "step $n: write failed, result=0"; return 1; }
			case " $errs " in *" $res "*) ;; *) errs="$errs $res" ;; esac
		fi
		case $1 in
		hotplug)
			if [ $rc = 0 ]; then
				[ "$plugged" = 1 ] || { echo "step $n: ok but no region"; return 1; }
				mt unplug || { echo "step $n: unplug failed"; grep -v '^#' $C; return 1; }
			elif [ "$plugged" != 0 ] || [ "$(mt_iomem_ours)" != 0 ]; then
				echo "step $n: hotplug failed ($res) but left a region:"
				grep -v '^#' $C
				grep memmap_test /proc/iomem
				return 1
			fi
			;;
		*)
			[ "$plugged" = 1 ] || { echo "step $n: $1 lost the region"; return 1; }
			;;
		esac
		[ "$left" = 0 ] || break
	done
	echo "<4>pmt: 40-faultinject: $s_name: $steps steps (N up to $n)" >/dev/kmsg
	echo "$s_name: $steps steps (N up to $n), errors returned:${errs:- none}"
	[ "$left" != 0 ] || echo "$s_name: stopped at the cap, N > $cap"
	[ $steps -gt 1 ]
}

if modprobe memmap_test && pid=$(mt_pid); then
	pow=$(cat /proc/sys/kernel/panic_on_warn)
	pmt_expect_splat_begin allocfail,addpages memmap_sweeps
	echo 0 >/proc/sys/kernel/panic_on_warn
	ktap_test_result hotplug_t1_failslab_sweep sweep hotplug_t1_slab slab hotplug size=128M threads=1
	ktap_print_msg "$(tail -n 2 "$T_STATE/out")"
	ktap_test_result hotplug_t1_fail_page_alloc_sweep sweep hotplug_t1_page page hotplug size=128M threads=1
	ktap_print_msg "$(tail -n 2 "$T_STATE/out")"
	ktap_test_result hotplug_t2_both_sweep sweep hotplug_t2 both hotplug size=256M threads=2 pieces=2
	ktap_print_msg "$(tail -n 2 "$T_STATE/out")"
	reinit_sweep() {
		mt hotplug size=256M threads=2 pieces=2 || return 1
		sweep reinit both reinit poison=1 threads=2 || return 1
		mt reinit poison=1 threads=2 && [ "$(mt_kv digest_match)" = 1 ] &&
			mt verify && [ "$(mt_kv bad_pages)" = 0 ] && mt unplug
	}
	ktap_test_result reinit_both_sweep reinit_sweep
	ktap_print_msg "$(tail -n 2 "$T_STATE/out")"
	echo "$pow" >/proc/sys/kernel/panic_on_warn
	pmt_expect_splat_end allocfail,addpages memmap_sweeps
	ktap_test_result nothing_left_in_iomem sh -c "! grep memmap_test /proc/iomem"
	ktap_test_result memmap_test_unloads rmmod memmap_test
else
	for t in hotplug_t1_failslab_sweep hotplug_t1_fail_page_alloc_sweep \
		hotplug_t2_both_sweep reinit_both_sweep nothing_left_in_iomem \
		memmap_test_unloads; do
		ktap_test_fail $t "modprobe memmap_test failed or its kthread was not found"
	done
fi
fi_mode off
ktap_test_result padata_mt_unloads rmmod padata_mt
