# shellcheck shell=sh
# The padata_mt engine: the test-only module padata_mt_selftest runs its
# battery of padata_mt_run() checks at load time (exactly-once coverage,
# edge and hostile parameters, error + undo, cancellation, pool exhaustion,
# NUMA placement, nesting, affinity); each of its results becomes one test
# here.  Then the observability: stats counters and tracepoints.

dbg=/sys/kernel/debug
res=$dbg/padata_mt_selftest/results
stats=$dbg/padata_mt/stats
ev=/sys/kernel/tracing/events/padata_mt

stat_of() {
	sed -n "s/^$1=//p" "$stats"
}

modprobe padata_mt
if ! modprobe padata_mt_selftest; then
	t_plan 1
	t_fail selftest_module_loads "modprobe padata_mt_selftest failed"
	exit 0
fi
n=$(grep -c '^\(not \)\?ok ' "$res")
t_plan $((n + 9))
grep '^# ' "$res"
# Each result of the module, renumbered into this suite.
grep '^\(not \)\?ok ' "$res" >/tmp/selftest.results
while read -r word rest; do
	if [ "$word" = ok ]; then
		set -- $rest
		name=$2
		case "$rest" in
		*'# SKIP'*) t_skip "$name" "${rest#*# SKIP }" ;;
		*) t_ok "$name" ;;
		esac
	else
		set -- $rest
		t_fail "$3"
	fi
done </tmp/selftest.results

# SIGKILL to a process inside padata_mt_run(): it stops starting chunks,
# undoes the finished ones and returns -EINTR long before the job's end
# (400 units of >= 5 ms of sleep on 2 threads, killed after 0.3 s: fewer
# than 300 units may have run).
killed_writer() {
	sh -c "echo go >$dbg/padata_mt_selftest/killable_job" &
	pid=$!
	sleep 0.3
	kill -9 $pid
	wait $pid
	r=$(cat $dbg/padata_mt_selftest/killable_job)
	echo "$r"
	set -- $(echo "$r" | tr '=' ' ')
	# ret units completed undos errors left
	[ "$2" = -4 ] && [ "$4" -lt 300 ] && [ "$6" = "$8" ] &&
		[ "${10}" = 0 ] && [ "${12}" = 0 ]
}
t_check fatal_signal_cancels_and_undoes killed_writer

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
t_check stats_counters_moved counters_moved

stats_reset() {
	echo reset >"$stats" || return 1
	[ "$(stat_of jobs)" = 0 ] && [ "$(stat_of chunks)" = 0 ]
}
t_check stats_reset stats_reset
t_check_fails stats_rejects_garbage sh -c "echo bogus >$stats"

t_check tracepoints_exist test -d $ev/padata_mt_job_start -a -d $ev/padata_mt_job_end -a -d $ev/padata_mt_chunk

traced_run() {
	echo >/sys/kernel/tracing/trace
	echo 1 >$ev/enable || return 1
	rmmod padata_mt_selftest || return 1
	modprobe padata_mt_selftest combos=20 callers=4 || return 1
	echo 0 >$ev/enable
	for e in padata_mt_job_start padata_mt_job_end padata_mt_chunk; do
		c=$(grep -c " $e:" /sys/kernel/tracing/trace)
		echo "$e: $c events"
		[ "$c" -gt 0 ] || return 1
	done
	! grep '^\(not \)\?ok ' "$res" | grep -q '^not ok'
}
t_check tracepoints_fire traced_run

t_check selftest_unloads rmmod padata_mt_selftest
t_check padata_mt_unloads rmmod padata_mt
t_check_fails padata_mt_gone t_module_loaded padata_mt
