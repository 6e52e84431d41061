# shellcheck shell=sh
# The guest side of `make demo` / `make bench` (tests/demo.py installs it as
# /tests/demo.sh and boots with pmt.run=/tests/demo.sh).  Arguments, from
# pmt.args=: SIZE THREADS(colon-separated) REPEATS PIECES(0 = default)
# ENGINE(0/1) MEMMAP(0/1) MEMMAP_PCT(memmap_test's max_memmap_pct, 0 =
# default) BENCH_ARGS(padata_mt_bench parameters,
# colon-separated; - none).  BENCH_ARGS is the rest of the line: a value
# with commas (filter=tiny,inline) arrives as several arguments, joined
# again here.  Every result line starts with "pmt-demo: " or "pmt-table: ".
size=$1
threads=$(echo "$2" | tr ':' ',')
repeats=$3
pieces=$4
engine=$5
memmap=$6
pct=$7
shift 7
bench_args=$(IFS=,; echo "${*:--}" | tr ':' ' ')
[ "$bench_args" = - ] && bench_args=
echo "pmt-demo: cpu_model=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
echo "pmt-demo: guest_cpus=$(nproc)"
# What picks the kernel's memset (6.1: rep stosq with rep_good, rep stosb
# with erms; 6.12: rep stosb with fsrs, else an unrolled loop): under TCG
# they cost differently, and the memset ceiling with them.
echo "pmt-demo: cpu_flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -x -E 'rep_good|erms|fsrm|fsrs' | tr '\n' ' ')"
# The CPU vulnerabilities the guest kernel mitigates: its return thunks and
# call-depth tracking cost every call and return (and none of memset).
for v in /sys/devices/system/cpu/vulnerabilities/*; do
	[ -e "$v" ] || continue
	echo "pmt-demo: vuln.${v##*/}=$(tr ' ' _ <"$v")"
done
echo "pmt-demo: guest_memtotal_kb=$(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo)"
if [ "$engine" = 1 ]; then
	# shellcheck disable=SC2086 # word splitting intended
	sh /tests/engine-bench.sh $bench_args || echo "pmt-demo: engine_bench_failed=1"
fi
[ "$memmap" = 1 ] || exit 0

if [ "$pct" = 0 ]; then
	modprobe memmap_test || exit 1
else
	modprobe memmap_test max_memmap_pct="$pct" || exit 1
fi
C=/sys/kernel/debug/memmap_test/control
T=/sys/kernel/tracing
iomem0=$(cat /proc/iomem)
cmd="bench size=$size threads=$threads repeats=$repeats"
[ "$pieces" = 0 ] || cmd="$cmd pieces=$pieces"
echo "pmt-demo: command=$cmd"
rc=0
echo "$cmd" >$C || rc=1
echo "pmt-demo: bench_rc=$rc"
grep -v '^#' $C | sed 's/^/pmt-demo: /'
sed 's/^/pmt-table: /' /sys/kernel/debug/memmap_test/table
[ $rc = 0 ] || exit 1

# One reinit job at the top thread count as a timeline: its chunks from the
# padata_mt_chunk tracepoint (each event at a chunk's end, with its
# duration), framed by the job's start and end events.  The first reinit
# validates the layout and digests the kernel's pages; the second is the
# one traced (its digest check after it is a job of its own, later).
top=${threads##*,}
if [ -d $T/events/padata_mt ] && echo "hotplug size=$size threads=$top" >$C &&
	echo "reinit threads=$top" >$C; then
	echo 4096 >$T/buffer_size_kb
	# The events' clock must be the one the chunk's ns is read from
	# (ktime_get_ns()): under TCG the default sched_clock runs apart.
	echo mono >$T/trace_clock
	echo >$T/trace
	echo 1 >$T/events/padata_mt/enable
	echo "reinit threads=$top" >$C
	echo 0 >$T/events/padata_mt/enable
	grep ' padata_mt_' $T/trace | sed 's/^/pmt-trace: /'
	echo "pmt-demo: timeline_threads=$top"
	echo >$T/trace
	echo local >$T/trace_clock
	echo 1408 >$T/buffer_size_kb
	echo unplug >$C
fi

# Three stock hotplugs under the function_graph tracer, filtered to the two
# halves of memremap_pages(): __add_pages() runs under mem_hotplug_lock
# (vmemmap allocation, zeroed because Debian boots with init_on_alloc=1);
# memmap_init_zone_device() runs outside it, per pgmap, right after.  With
# the filter only those two functions are traced, none of their callees,
# so the kernel's init is timed alone (its own entry and exit hooks are the
# method's overhead: the traced plug's hotplug_ns against the bench's
# untraced stock plug).  Each line gives the three runs, comma-separated.
if echo "__add_pages memmap_init_zone_device" >$T/set_ftrace_filter 2>/dev/null &&
	echo function_graph >$T/current_tracer; then
	hp= add= init=
	for run in 1 2 3; do
		echo >$T/trace
		echo 1 >$T/tracing_on
		echo "hotplug size=$size threads=1" >$C
		echo 0 >$T/tracing_on
		hp="$hp${hp:+,}$(sed -n 's/^hotplug_ns=//p' $C)"
		for f in __add_pages memmap_init_zone_device; do
			us=$(awk -v f="$f" 'index($0, f "();") {
				for (i = 1; i < NF; i++) if ($(i + 1) == "us") s += $i
			} END { printf "%d", s }' $T/trace)
			case $f in
			__add_pages) add="$add${add:+,}$us" ;;
			*) init="$init${init:+,}$us" ;;
			esac
		done
		echo unplug >$C
	done
	echo "pmt-demo: profile_hotplug_ns=$hp"
	echo "pmt-demo: profile___add_pages_us=$add"
	echo "pmt-demo: profile_memmap_init_zone_device_us=$init"
	echo nop >$T/current_tracer
	echo >$T/set_ftrace_filter
fi
if [ "$(cat /proc/iomem)" = "$iomem0" ]; then
	echo "pmt-demo: iomem_clean=1"
else
	echo "pmt-demo: iomem_clean=0"
fi
rmmod memmap_test
