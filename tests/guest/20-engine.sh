# shellcheck shell=sh
# The padata_mt engine: the test-only module padata_mt_selftest runs its
# battery of padata_mt_run() checks at load time (exactly-once coverage,
# edge and hostile parameters, error + undo, cancellation, pool exhaustion,
# NUMA placement, nesting, affinity, priority); each of its results becomes
# one test here.  Then what only userspace can see: kills, the cgroup the
# helpers' CPU time goes to, allocations, and the observability (stats
# counters and tracepoints).

dbg=/sys/kernel/debug
res=$dbg/padata_mt_selftest/results
stats=$dbg/padata_mt/stats
ev=/sys/kernel/tracing/events/padata_mt
rec=/sys/kernel/tracing/options/record-cmd

stat_of() {
	sed -n "s/^$1=//p" "$stats"
}

# A caller waiting for its helpers must never look like a hung task: the
# detector is made sensitive for this suite and restored at its end (a
# debug kernel under TCG can hold the kernel's own locks, e.g. the memory
# hotplug lock, longer than 10 s in the later suites).
hung=/proc/sys/kernel/hung_task_timeout_secs
hung_was=$(cat $hung)
echo 10 >$hung

# pmt.selftest=a=1,b=2 on the kernel command line: module parameters for
# the battery (the topology lanes trim it).
st_args=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^pmt\.selftest=//p' | tr ',' ' ')
[ -z "$st_args" ] || echo "# padata_mt_selftest $st_args"

modprobe padata_mt
# shellcheck disable=SC2086 # the parameters are words
if ! modprobe padata_mt_selftest $st_args; then
	ktap_set_plan 1
	ktap_test_fail selftest_module_loads "modprobe padata_mt_selftest failed"
	exit 0
fi
ktap_set_plan 21
# The module's results, one nested block.
pmt_subtest selftest "$res"

kjob=$dbg/padata_mt_selftest/killable_job

# kjob_start: start the killable job in a background writer ($pid) and
# return once padata_mt_run() has been entered (the jobs counter moved; at
# most 10 s), however long the writer took to start.
kjob_start() {
	k_jobs=$(stat_of jobs)
	sh -c "echo go >$kjob" &
	pid=$!
	k_i=0
	while [ "$(stat_of jobs)" = "$k_jobs" ]; do
		[ $k_i -lt 200 ] || { echo "the job never started"; return 1; }
		sleep 0.05
		k_i=$((k_i + 1))
	done
}

# SIGKILL to a process inside padata_mt_run(): it stops starting chunks,
# undoes the finished ones and returns -EINTR long before the job's end
# (400 units of >= 5 ms of sleep on 2 threads, killed 0.2 s after the job
# started: fewer than 300 units may have run).
killed_writer() {
	kjob_start || { kill -9 $pid; wait $pid; return 1; }
	sleep 0.2
	kill -9 $pid
	wait $pid
	r=$(cat $kjob)
	echo "$r"
	set -- $(echo "$r" | tr '=' ' ')
	# ret units completed undos errors left
	[ "$2" = -4 ] && [ "$4" -lt 300 ] && [ "$6" = "$8" ] &&
		[ "${10}" = 0 ] && [ "${12}" = 0 ]
}
ktap_test_result fatal_signal_cancels_and_undoes killed_writer

inject=$dbg/padata_mt/inject_fail_chunk

# The test-only knob: the next job fails chunk 3 with -EIO, undoes the
# chunks that completed, and the knob disarms itself.
injected_failure() {
	echo 3 >$inject || return 1
	echo go >$kjob && return 1
	r=$(cat $kjob)
	echo "$r; knob now $(cat $inject)"
	set -- $(echo "$r" | tr '=' ' ')
	# chunks 0-2 were claimed first: they all completed, and were undone
	[ "$2" = -5 ] && [ "$6" -ge 3 ] && [ "$6" = "$8" ] && [ "${10}" = 0 ] &&
		[ "${12}" = 0 ] && [ "$(cat $inject)" = -1 ]
}
ktap_test_result inject_fail_chunk_fails_and_undoes injected_failure

inject_rejects() {
	for v in abc -2 4294967296 '' 1x; do
		if echo "$v" >$inject 2>/dev/null; then
			echo "accepted '$v'"
			return 1
		fi
	done
	[ "$(cat $inject)" = -1 ]
}
ktap_test_result inject_fail_chunk_rejects_garbage inject_rejects

# CPU 1 goes offline and comes back while a 2-thread job runs: the job
# still covers every unit exactly once.
cpu_hotplug_mid_job() {
	c=/sys/devices/system/cpu/cpu1/online
	[ -w $c ] || { echo "no $c"; return 1; }
	kjob_start || { wait $pid; return 1; }
	sleep 0.1
	echo 0 >$c || return 1
	sleep 0.3
	echo 1 >$c || return 1
	wait $pid || return 1
	r=$(cat $kjob)
	echo "$r"
	set -- $(echo "$r" | tr '=' ' ')
	[ "$2" = 0 ] && [ "$4" = 400 ] && [ "${10}" = 0 ] && [ "${12}" = 400 ] &&
		[ "$(cat $c)" = 1 ]
}
if [ "$(nproc)" -ge 2 ]; then
	ktap_test_result cpu_offline_online_mid_job cpu_hotplug_mid_job
else
	ktap_test_skip cpu_offline_online_mid_job "needs 2 CPUs"
fi

# A one-chunk job honours a fatal signal as a multithreaded one does: the
# writer waits in the module until it is killed, then runs a one-chunk job,
# which must return -EINTR without calling thread_fn.
oneshot=$dbg/padata_mt_selftest/oneshot_killed
oneshot_killed() {
	sh -c "echo go >$oneshot" &
	pid=$!
	pmt_wait_for $oneshot waiting 200 || { kill -9 $pid; wait $pid; return 1; }
	kill -9 $pid
	wait $pid
	r=$(cat $oneshot)
	echo "$r"
	[ "$r" = "ret=-4 calls=0" ]
}
ktap_test_result one_chunk_job_honours_fatal_signal oneshot_killed

# The helpers' CPU time is not the caller's: kernel workers are charged to
# the root cgroup.  A shell alone in a cgroup of its own (shell builtins
# only: no child) runs a CPU-bound job on every CPU; its cgroup's usage_usec
# grows by the shell's own runtime (/proc/PID/schedstat), not by the CPU
# time the helpers spent in their chunks (helper_us, as the scheduler
# counts it; at least 40 ms: under TCG the guest's clock undercounts a vCPU
# the host did not run).
cg=/sys/fs/cgroup
cpujob=$dbg/padata_mt_selftest/cpu_job
cgroup_cpu() {
	mkdir -p $cg
	grep -q " $cg cgroup2 " /proc/mounts || mount -t cgroup2 none $cg || return 1
	mkdir -p $cg/pmt_caller || return 1
	d=$(sh -c "echo \$\$ >$cg/pmt_caller/cgroup.procs || exit 1
		read -r k u0 x <$cg/pmt_caller/cpu.stat
		read -r s0 x </proc/\$\$/schedstat
		echo go >$cpujob || exit 1
		read -r k u1 x <$cg/pmt_caller/cpu.stat
		read -r s1 x </proc/\$\$/schedstat
		echo \$((u1 - u0)) \$(((s1 - s0) / 1000))")
	st=$?
	rmdir $cg/pmt_caller
	[ $st = 0 ] || return 1
	set -- $d
	group=$1
	self=$2
	r=$(cat $cpujob)
	echo "$r; the caller's cgroup used ${group} us, the caller itself ${self} us"
	set -- $(echo "$r" | tr '=' ' ')
	# ret caller_units helper_units helper_us
	h=$8
	[ "$2" = 0 ] && [ "$h" -ge 40000 ] && [ "$group" -ge $((self / 2)) ] &&
		[ "$group" -lt $((self + h / 2)) ]
}
if [ "$(nproc)" -ge 2 ]; then
	ktap_test_result helpers_cpu_time_not_in_callers_cgroup cgroup_cpu
else
	ktap_test_skip helpers_cpu_time_not_in_callers_cgroup "needs 2 CPUs"
fi

# No allocation per job: every allocation event (kmalloc, kmem_cache_alloc,
# page and per-CPU allocations) during 400 jobs of every kind gets a stack
# trace; none may have a padata_mt function (pmt_*, __padata_mt_run) on it.
# The writer's own kzalloc must be there: the tracing saw allocations.
T=/sys/kernel/tracing
burst=$dbg/padata_mt_selftest/burst
no_alloc() {
	evs=
	for e in kmem/kmalloc kmem/kmalloc_node kmem/kmem_cache_alloc \
		 kmem/kmem_cache_alloc_node kmem/mm_page_alloc \
		 percpu/percpu_alloc_percpu; do
		[ -d $T/events/$e ] && evs="$evs $e"
	done
	echo 4096 >$T/buffer_size_kb
	echo >$T/trace
	[ ! -w $rec ] || echo 0 >$rec
	for e in $evs; do
		echo stacktrace >$T/events/$e/trigger && echo 1 >$T/events/$e/enable ||
			return 1
	done
	echo go >$burst
	st=$?
	for e in $evs; do
		echo 0 >$T/events/$e/enable
		echo '!stacktrace' >$T/events/$e/trigger
	done
	[ ! -w $rec ] || echo 1 >$rec
	echo "events:$evs; $(cat $burst)"
	grep -q 'st_burst_write' $T/trace || { echo "the writer's own allocation was not traced"; return 1; }
	if grep -E '=> (pmt_|__padata_mt_run)' $T/trace >/tmp/ours; then
		echo "allocations from padata_mt:"
		grep -B 12 -E '=> (pmt_|__padata_mt_run)' $T/trace | head -n 60
		return 1
	fi
	echo >$T/trace
	echo 1408 >$T/buffer_size_kb
	[ $st = 0 ] && [ "$(cat $burst)" = "jobs=400 bad=0" ]
}
ktap_test_result no_allocation_per_job no_alloc

pmt_eq no_hung_task_timeout_change 10 "$(cat $hung)"

# The battery moved every counter it should have.
counters_moved() {
	cat "$stats"
	for k in jobs inline_jobs chunks helpers_queued helpers_reclaimed \
		 pool_exhausted errors cancellations undo_chunks busy_ns helpers_peak; do
		v=$(stat_of $k)
		[ -n "$v" ] && [ "$v" -gt 0 ] || { echo "$k=$v did not move"; return 1; }
	done
	[ "$(stat_of pool_free)" = "$(stat_of pool_size)" ] ||
		{ echo "helpers missing from the pool"; return 1; }
	[ "$(stat_of helpers_running)" = 0 ]
}
ktap_test_result stats_counters_moved counters_moved

stats_reset() {
	echo reset >"$stats" || return 1
	[ "$(stat_of jobs)" = 0 ] && [ "$(stat_of chunks)" = 0 ]
}
ktap_test_result stats_reset stats_reset
pmt_check_fails stats_rejects_garbage sh -c "echo bogus >$stats"

# A helper's start and end readings from two CPUs' clocks that disagree
# (this guest's TSC is unstable): padata_mt's test-only
# helper_clock_skew_ms makes the next helper start 10 s ahead.  busy_ns
# must count that helper's time as 0, not as 2^64 - 10 s; the knob reads 0
# again once a helper of the 400 jobs has taken it.  (busy_ns sums per-CPU
# u64s: a wrap would cancel out only if the burst's real busy time passed
# 10 s; its 400 tiny jobs take well under one.)
skew=$dbg/padata_mt/helper_clock_skew_ms
busy_no_wrap() {
	echo reset >"$stats" && echo 10000 >$skew || return 1
	echo go >$burst
	st=$?
	left=$(cat $skew)
	echo 0 >$skew
	busy=$(stat_of busy_ns)
	echo "burst: $(cat $burst); skew left: $left; busy_ns=$busy"
	[ $st = 0 ] && [ "$(cat $burst)" = "jobs=400 bad=0" ] && [ "$left" = 0 ] &&
		[ -n "$busy" ] && awk -v b="$busy" 'BEGIN { exit !(b < 1e10) }'
}
if [ "$(nproc)" -lt 2 ]; then
	ktap_test_skip busy_ns_never_wraps "one CPU: no helper"
else
	ktap_test_result busy_ns_never_wraps busy_no_wrap
fi

# The other test-only knobs refuse what they cannot take and keep reading
# 0 (off): out of range, negative, not a number, empty, trailing junk.
knob_rejects() {
	k=$dbg/padata_mt/$1
	shift
	for v in "$@"; do
		if echo "$v" >$k 2>/dev/null; then
			echo "$k accepted '$v'"
			return 1
		fi
	done
	[ "$(cat $k)" = 0 ] || { echo "$k reads $(cat $k)"; return 1; }
}
knobs_reject() {
	knob_rejects hold_setup 2 -1 abc '' 1x &&
		knob_rejects helper_exit_delay_ms 10001 -1 abc '' 1x &&
		knob_rejects helper_clock_skew_ms 60001 -1 abc '' 1x
}
ktap_test_result test_knobs_reject_garbage knobs_reject

ktap_test_result tracepoints_exist test -d $ev/padata_mt_job_start -a -d $ev/padata_mt_job_end -a -d $ev/padata_mt_chunk

# Without record-cmd: enabling the first event would also hook the
# scheduler's own tracepoints (comm recording), live-patching __schedule()
# while the other CPU runs it.  Under QEMU TCG that once left CPU 1 deaf to
# the patching's sync IPI (soft lockup in text_poke_bp, nothing of ours on
# either stack); our events need no patching of the scheduler.
rec=/sys/kernel/tracing/options/record-cmd
# The events come from the 400 jobs of the burst job (every kind): each
# multithreaded job that starts ends, and chunks are traced.  What the jobs
# do is judged elsewhere, so an engine fault fails its own test, not this.
traced_run() {
	echo 4096 >$T/buffer_size_kb
	echo >$T/trace
	[ ! -w $rec ] || echo 0 >$rec
	echo 1 >$ev/enable || return 1
	echo go >$burst
	st=$?
	echo 0 >$ev/enable
	[ ! -w $rec ] || echo 1 >$rec
	[ $st = 0 ] || { echo "burst: write failed"; return 1; }
	lost=$(cat $T/per_cpu/cpu*/stats | awk '$1 == "overrun:" { n += $2 } END { print n + 0 }')
	[ "$lost" = 0 ] || { echo "$lost events overwritten: a bigger buffer"; return 1; }
	for e in padata_mt_job_start padata_mt_job_end padata_mt_chunk; do
		c=$(grep -c " $e:" /sys/kernel/tracing/trace)
		echo "$e: $c events"
		[ "$c" -gt 0 ] || return 1
		eval "n_$e=$c"
	done
	# shellcheck disable=SC2154 # set by the eval above
	[ "$n_padata_mt_job_start" = "$n_padata_mt_job_end" ] ||
		{ echo "jobs started and ended differ"; return 1; }
	# Each chunk carries its duration (the demo's timeline needs it).
	timed=$(grep ' padata_mt_chunk:' $T/trace | grep -c ' ns=[1-9][0-9]*$')
	echo "padata_mt_chunk: $timed events with ns > 0"
	[ "$timed" -gt 0 ] || return 1
	echo >$T/trace
	echo 1408 >$T/buffer_size_kb
}
ktap_test_result tracepoints_fire traced_run

# A killed caller still waits for a helper inside a chunk, but idle (state
# I), not uninterruptible (D): a long chunk must not look like a hung task.
# The helper's chunk sleeps 10 s; the writer is killed while it does, and
# its state is sampled while it waits.
long=$dbg/padata_mt_selftest/long_helper_job
killed_waits_idle() {
	sh -c "echo go >$long" &
	pid=$!
	pmt_wait_for $long helper_sleeping 200 || { kill -9 $pid; wait $pid; return 1; }
	kill -9 $pid
	states=
	i=0
	while [ $i -lt 20 ] && [ -r /proc/$pid/stat ]; do
		s=$(sed 's/^.*) \(.\).*/\1/' /proc/$pid/stat 2>/dev/null)
		states="$states$s"
		sleep 0.1
		i=$((i + 1))
	done
	wait $pid
	r=$(cat $long)
	echo "$r; writer states after the kill: $states"
	# D until the kill is taken (the killable wait), then I only
	case "$states" in *I*) ;; *) return 1 ;; esac
	case "${states#*I}" in *D*) return 1 ;; esac
	[ "$r" = ret=-4 ]
}
if [ "$(nproc)" -ge 2 ]; then
	ktap_test_result killed_caller_waits_idle_not_d killed_waits_idle
else
	ktap_test_skip killed_caller_waits_idle_not_d "needs 2 CPUs"
fi

ktap_test_result selftest_unloads rmmod padata_mt_selftest
# filter= is parsed strictly: a pattern that names no group and an empty
# last pattern refuse the load (EINVAL) and leave nothing loaded.
filter_refused() {
	for f in nosuch edges,; do
		if modprobe padata_mt_selftest filter="$f" 2>/dev/null; then
			echo "filter=$f was accepted"
			rmmod padata_mt_selftest
			return 1
		fi
		! pmt_module_loaded padata_mt_selftest || return 1
	done
}
ktap_test_result selftest_filter_refuses_bad_patterns filter_refused
ktap_test_result padata_mt_unloads rmmod padata_mt
pmt_check_fails padata_mt_gone pmt_module_loaded padata_mt

echo "$hung_was" >$hung
