# shellcheck shell=sh
# Debug-kernel lane, after the last suite (every module unloaded): no module
# of ours is left, kmemleak finds nothing, and lockdep is still live, so
# the run's silence means something.  kmemleak reports an object only when
# it is older than 5 s and two scans in a row found it unreferenced and
# unchanged (the first scan of an object only records its checksum): wait
# 5 s, scan twice.  A scan takes a minute or more under TCG.  Run by
# run.py's debug lane only (no NN- prefix).

ktap_set_plan 3

# A module a suite left loaded is unloaded here (its exit path is part of
# what kmemleak judges); the diagnostics name it.
ours_unload() {
	for m in memmap_test padata_mt_selftest padata_mt_bench padata_mt; do
		if pmt_module_loaded $m; then
			echo "left loaded by a suite: $m"
			rmmod $m || return 1
		fi
	done
	! grep -E '^(padata_mt|memmap_test|padata_mt_selftest|padata_mt_bench) ' /proc/modules
}
ktap_test_result our_modules_unloaded ours_unload
[ -s "$T_STATE/out" ] && ktap_print_msg "$(cat "$T_STATE/out")"

kml=/sys/kernel/debug/kmemleak
kmemleak_clean() {
	sleep 5
	echo scan >$kml || { echo "kmemleak scan refused: kmemleak is off"; return 1; }
	echo scan >$kml || return 1
	if grep -q '^unreferenced object' $kml; then
		echo "$(grep -c '^unreferenced object' $kml) suspected leak(s):"
		head -n 200 $kml
		return 1
	fi
}
if [ -e $kml ]; then
	# A scan is refused once kmemleak has switched itself off.
	ktap_test_result kmemleak_no_leaks kmemleak_clean
else
	ktap_test_skip kmemleak_no_leaks "no $kml: kernel without kmemleak"
fi

if [ -e /proc/lockdep_stats ]; then
	ktap_test_result lockdep_still_live pmt_lockdep_live
else
	ktap_test_skip lockdep_still_live "no /proc/lockdep_stats: kernel without lockdep"
fi
