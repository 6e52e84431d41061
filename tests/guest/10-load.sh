# shellcheck shell=sh
# The foundation: both modules load, depend on each other the way depmod
# says, carry the dkms.conf version, create their debugfs directories and
# unload cleanly in reverse order.  One test per behaviour; later tests
# build on earlier ones, so one broken step shows as several failures.

ktap_set_plan 14

dbg=/sys/kernel/debug

# The library alone.
ktap_test_result padata_mt_loads modprobe padata_mt
ktap_test_result padata_mt_in_proc_modules pmt_module_loaded padata_mt
ktap_test_result padata_mt_debugfs_dir test -d $dbg/padata_mt
pmt_eq padata_mt_sysfs_version "$PMT_VERSION" "$(cat /sys/module/padata_mt/version 2>&1)"
ktap_test_result padata_mt_unloads_alone rmmod padata_mt

# Its user pulls it in through modules.dep.
ktap_test_result memmap_test_modprobe modprobe memmap_test
ktap_test_result memmap_test_pulls_padata_mt pmt_module_loaded padata_mt
ktap_test_result padata_mt_holds_memmap_test test -e /sys/module/padata_mt/holders/memmap_test
ktap_test_result memmap_test_debugfs_dir test -d $dbg/memmap_test
pmt_eq memmap_test_sysfs_version "$PMT_VERSION" "$(cat /sys/module/memmap_test/version 2>&1)"

modinfo_versions() {
	for m in padata_mt memmap_test; do
		v=$(modinfo -F version "$m") || return 1
		echo "$m: modinfo version '$v', dkms.conf '$PMT_VERSION'"
		[ "$v" = "$PMT_VERSION" ] || return 1
	done
}
ktap_test_result modinfo_version_matches_dkms_conf modinfo_versions

# The library cannot go while its user holds it.
padata_mt_rmmod_refused() {
	rmmod padata_mt && return 1
	pmt_module_loaded padata_mt
}
ktap_test_result rmmod_padata_mt_refused_while_used padata_mt_rmmod_refused

# Reverse order unloads both and leaves nothing behind.
unload_reverse() {
	rmmod memmap_test || return 1
	rmmod padata_mt || return 1
	if pmt_module_loaded memmap_test || pmt_module_loaded padata_mt; then
		cat /proc/modules
		return 1
	fi
}
ktap_test_result unload_reverse_order_leaves_none unload_reverse
debugfs_gone() {
	! test -e $dbg/memmap_test && ! test -e $dbg/padata_mt
}
ktap_test_result debugfs_dirs_removed debugfs_gone
