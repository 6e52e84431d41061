# shellcheck shell=sh
# The topology lane's suite (run.py's topology lanes; no NN- prefix, so the
# 2-vCPU lanes do not run it): a guest with a node of two CPUs, two nodes of
# one CPU and a memory-only node (qemu.boot(node_cpus=[2, 1, 1, 0])).
# padata_mt_selftest topology=1 runs the placement battery (exact thread
# count, one thread per CPU and none over a node, the caller's node first,
# numa_aware spreading concurrent jobs, ranges on their home node, shared
# memory-only ranges, a restricted caller, undo); each of its results
# becomes one test here.  Then the races only CPU hotplug opens: a CPU going
# offline between a job's counting of CPUs and its placement (held there by
# padata_mt's test-only hold_setup), exactly-once coverage while CPUs come
# and go, and rmmod while a helper is still finishing.

dbg=/sys/kernel/debug
res=$dbg/padata_mt_selftest/results
hold=$dbg/padata_mt/hold_setup
stats=$dbg/padata_mt/stats
ev=/sys/kernel/tracing/events/padata_mt
rec=/sys/kernel/tracing/options/record-cmd

if [ "$(nproc)" -lt 4 ] || [ ! -d /sys/devices/system/node/node3 ]; then
	ktap_skip_all "needs 4 CPUs on nodes of 2, 1 and 1 CPUs and a memory-only node"
fi

modprobe padata_mt
if ! modprobe padata_mt_selftest topology=1; then
	ktap_set_plan 1
	ktap_test_fail selftest_module_loads "modprobe padata_mt_selftest topology=1 failed"
	exit 0
fi
ktap_set_plan 5
pmt_subtest selftest_topology "$res"

# The highest-numbered CPU: the only CPU of its node on this guest.
last_cpu=$(($(nproc) - 1))
cpu_online=/sys/devices/system/cpu/cpu$last_cpu/online

# A job given as ranges (one on NUMA_NO_NODE) is held between counting its
# CPUs and placing its helpers; a CPU goes offline meanwhile, so fewer CPUs
# are online at placement than were counted.  Every unit must still run
# exactly once.
race=$dbg/padata_mt_selftest/hotplug_race_job
setup_race() {
	echo 1 >$hold || return 1
	sh -c "echo go >$race" &
	pid=$!
	if ! pmt_wait_for $hold 2; then
		echo 0 >$hold
		wait $pid
		return 1
	fi
	echo 0 >$cpu_online
	st=$?
	echo 0 >$hold
	wait $pid
	echo 1 >$cpu_online
	r=$(cat $race)
	echo "$r (cpu$last_cpu offline: $st, back: $(cat $cpu_online))"
	[ $st = 0 ] && [ "${r%% threads=*}" = "ret=0 covered=400 of=400 errors=0" ] &&
		[ "$(cat $cpu_online)" = 1 ]
}
ktap_test_result setup_hotplug_race_exactly_once setup_race

# Random jobs back to back (ranges on every node, NUMA_NO_NODE and the
# memory-only node too) while CPUs 1..3 go off- and online in turn: each job
# covers its units exactly once.  Meanwhile the job-end tracepoint's ns and
# the busy_ns counter are checked against the elapsed time: a duration
# measured on two CPUs' clocks must not wrap.
churn=$dbg/padata_mt_selftest/churn
uptime_ns() {
	u=$(cat /proc/uptime)
	u=${u%% *}
	echo $((${u%.*} * 1000000000 + ${u#*.} * 10000000))
}
cpu_churn() {
	echo reset >$stats
	echo >/sys/kernel/tracing/trace
	[ ! -w $rec ] || echo 0 >$rec
	echo 1 >$ev/padata_mt_job_end/enable
	t0=$(uptime_ns)
	sh -c "echo run >$churn" &
	pid=$!
	pmt_wait_for $churn running || { echo stop >$churn; wait $pid; return 1; }
	round=0
	while [ $round -lt 4 ]; do
		for c in $(seq 1 $last_cpu); do
			echo 0 >/sys/devices/system/cpu/cpu$c/online || echo "cpu$c did not go offline"
			sleep 0.2
			echo 1 >/sys/devices/system/cpu/cpu$c/online || echo "cpu$c did not come back"
		done
		round=$((round + 1))
	done
	echo stop >$churn
	wait $pid
	t1=$(uptime_ns)
	echo 0 >$ev/padata_mt_job_end/enable
	[ ! -w $rec ] || echo 1 >$rec
	r=$(cat $churn)
	busy=$(sed -n 's/^busy_ns=//p' $stats)
	max_ns=$(sed -n 's/.*padata_mt_job_end:.* ns=\([0-9]*\).*/\1/p' \
		/sys/kernel/tracing/trace | sort -n | tail -n 1)
	ends=$(grep -c 'padata_mt_job_end:' /sys/kernel/tracing/trace)
	echo "$r; $ends job-end events, longest ns=$max_ns; busy_ns=$busy over $((t1 - t0)) ns x $(nproc) CPUs"
	for c in $(seq 1 $last_cpu); do
		[ "$(cat /sys/devices/system/cpu/cpu$c/online)" = 1 ] || { echo "cpu$c offline"; return 1; }
	done
	set -- $(echo "$r" | tr '=' ' ')
	[ "$1" = jobs ] && [ "$2" -gt 0 ] && [ "$4" = 0 ] && [ "$ends" -gt 0 ] &&
		[ "$max_ns" -le $((t1 - t0)) ] && [ "$busy" -le $(((t1 - t0) * $(nproc))) ]
}
ktap_test_result cpu_churn_exactly_once_durations_sane cpu_churn

# rmmod while a helper still runs padata_mt's code after its last touch of
# its job (helper_exit_delay_ms: 3 s): a job from a caller allowed on every
# CPU, then one from a caller restricted to two CPUs, then both modules
# unloaded at once.  rmmod padata_mt must wait for the helper, which logs
# when it leaves: the line must be in the log when rmmod returns (and if
# the module was freed under it, its return may oops in the 4 s after).
rmrace=$dbg/padata_mt_selftest/rmmod_race
rmmod_race() {
	echo 3000 >$dbg/padata_mt/helper_exit_delay_ms || return 1
	echo go >$rmrace || return 1
	r=$(cat $rmrace)
	echo "$r"
	rmmod padata_mt_selftest || return 1
	rmmod padata_mt || return 1
	# logged by the helper before it left: already there when rmmod returns
	left=$(dmesg | grep -c 'the delayed helper leaves')
	sleep 4
	echo "helper's leaving logged before rmmod returned: $left"
	# The second job must not get the finishing helper: queued, it would
	# run on the first job's CPU after the 3 s delay (work items never
	# run twice at once).  A job of 4 tiny chunks takes far less than 3 s.
	ms2=${r##*ms2=}
	[ "${r% ms2=*}" = "ret1=0 threads1=2 ret2=0 threads2=2 cpus2_allowed=1" ] &&
		[ "$ms2" -lt 2000 ] && [ "$left" = 1 ] &&
		! pmt_module_loaded padata_mt
}
ktap_test_result rmmod_waits_for_finishing_helper rmmod_race

pmt_check_fails padata_mt_gone pmt_module_loaded padata_mt
