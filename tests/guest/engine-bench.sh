# shellcheck shell=sh
# In-guest engine benchmark (run by `make bench` and `make demo`): loads the
# test-only padata_mt_bench module, which measures in a kernel thread, and
# prints its key=value results between markers for the host to pick up.
# Arguments: extra module parameters, e.g. memset_mb=512 repeats=5.
modprobe padata_mt || exit 1
echo "pmt-bench: cpu_model=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
for f in spectre_v2 retbleed; do
	echo "pmt-bench: vuln_$f=$(cat /sys/devices/system/cpu/vulnerabilities/$f 2>/dev/null)"
done
if ! modprobe padata_mt_bench "$@"; then
	echo "pmt-bench: padata_mt_bench failed to load"
	exit 1
fi
echo "pmt-bench: begin"
sed 's/^/pmt-bench: /' /sys/kernel/debug/padata_mt_bench/results
echo "pmt-bench: end"
rmmod padata_mt_bench && rmmod padata_mt
