# shellcheck shell=sh
# The package lanes' suite (tests/lib/lane_package.py; not an NN- suite, so
# no other lane runs it).  The modules DKMS built from the installed
# padata-mt-dkms package load, then hello_pmt (docs/examples/consumer), a
# third-party module built against what the package installs and nothing
# else: its load-time job must have gone through this padata_mt_run() --
# the engine's own statistics count the job and its chunks -- and got the
# right sum.

ktap_set_plan 10

stats=/sys/kernel/debug/padata_mt/stats
par=/sys/module/hello_pmt/parameters

# stat NAME: the engine's counter NAME
stat() {
	sed -n "s/^$1=//p" $stats
}

ktap_test_result padata_mt_loads modprobe padata_mt
ktap_test_result memmap_test_loads modprobe memmap_test
jobs0=$(stat jobs)
chunks0=$(stat chunks)
queued0=$(stat helpers_queued)
ktap_test_result hello_pmt_loads modprobe hello_pmt
ktap_test_result padata_mt_holds_hello_pmt test -e /sys/module/padata_mt/holders/hello_pmt

n=$(cat $par/units 2>&1)
pmt_eq hello_pmt_sum_of_squares "$((n * (n - 1) * (2 * n - 1) / 6))" \
	"$(cat $par/sum 2>&1)"
pmt_eq engine_counted_one_job "$((jobs0 + 1))" "$(stat jobs)"
pmt_eq engine_chunks_match_hello_pmt "$(cat $par/chunks 2>&1)" \
	"$(($(stat chunks) - chunks0))"
helpers_ran() {
	q=$(stat helpers_queued)
	echo "helpers_queued $queued0 -> $q"
	[ "$q" -gt "$queued0" ]
}
ktap_test_result hello_pmt_job_had_helpers helpers_ran
dmesg_has_hello() {
	dmesg | grep 'hello_pmt: .* units in .* chunks, sum of squares .*, as expected'
}
ktap_test_result hello_pmt_logged_its_result dmesg_has_hello

unload_all() {
	rmmod hello_pmt && rmmod memmap_test && rmmod padata_mt || return 1
	! pmt_module_loaded hello_pmt && ! pmt_module_loaded padata_mt
}
ktap_test_result unload_consumer_then_engine unload_all
