# shellcheck shell=sh
# Hostile input (issue 6): a deterministic debugfs fuzzer over every writable
# file (memmap_test/control, padata_mt/stats, padata_mt/inject_fail_chunk):
# >= 1000 malformed or edge inputs from a seeded LCG, plus empty, whitespace,
# > PAGE_SIZE lines, NUL and binary garbage, partial writes, concurrent
# writers and writes while a bench runs.  Every write must fail with a clean
# errno or be a valid command that succeeds; the module stays usable and
# nothing is left behind (iomem, refcounts, the engine's pool and helpers).
# Every control input is also judged by a grammar oracle (the documented
# syntax, written apart from the parser): a write the oracle calls
# malformed must fail with EINVAL, and a write that succeeds must be one it
# calls well-formed.  Then rmmod memmap_test while a bench runs: refused
# (the open control file holds the module), never a crash.  Reproduce one
# input: the LCG seed and the line number printed.

ktap_set_plan 18

dbg=/sys/kernel/debug
C=$dbg/memmap_test/control
stats=$dbg/padata_mt/stats
inject=$dbg/padata_mt/inject_fail_chunk
F=/tmp/fuzz
mkdir -p $F
SEED=${PMT_FUZZ_SEED:-20261122}
fz_id=main

# Allowed errnos, as the shell prints them (strerror).
ok_errno() {
	case "$1" in
	*'Invalid argument'* | *'Device or resource busy'* | *'Argument list too long'* | \
		*'Cannot allocate memory'* | *'File exists'* | *'No such file or directory'* | \
		*'Input/output error'* | *'Numerical result out of range'* | \
		*'Operation not supported'*) return 0 ;;
	esac
	return 1
}

# Counters live in files so that background writers count too.
cnt_reset() { : >$F/tried; : >$F/rej; : >$F/acc; : >$F/bad; : >$F/errs; }
cnt_reset

# fz TARGET TAG LINE [nl]: one write() of LINE (with a trailing newline if
# $4 is nl) to TARGET; counts it; an unclean errno is logged in $F/bad.
# No fork: echo is a builtin, the error goes to a file read back with read.
fz() {
	if [ "$4" = nl ]; then
		echo "$3" >"$1" 2>$F/err.$fz_id
	else
		# shellcheck disable=SC3037 # busybox echo: -n, no escapes
		echo -n "$3" >"$1" 2>$F/err.$fz_id
	fi
	# shellcheck disable=SC2320 # the status of the write
	fz_st=$?
	echo >>$F/tried
	if [ $fz_st = 0 ]; then
		echo "$2" >>$F/acc
		echo "$2 ok" >>$F/res.$fz_id
		# a knob armed by a valid number must not fail the next job
		[ "$1" = $inject ] && echo -1 >$inject
	else
		echo "$2" >>$F/rej
		fz_e=
		IFS= read -r fz_e <$F/err.$fz_id
		echo "${fz_e##*: }" >>$F/errs
		echo "$2 ${fz_e##*: }" >>$F/res.$fz_id
		ok_errno "$fz_e" || echo "$2: '$3' -> $fz_e" >>$F/bad
	fi
	return 0
}

# fz_file TARGET FILE TAG: every line of FILE, line N tagged TAG:N; odd
# lines get a trailing newline.
fz_file() {
	fzf_n=0
	while IFS= read -r fzf_l; do
		fzf_n=$((fzf_n + 1))
		if [ $((fzf_n % 2)) = 1 ]; then
			fz "$1" "$3:$fzf_n" "$fzf_l" nl
		else
			fz "$1" "$3:$fzf_n" "$fzf_l"
		fi
	done <"$2"
}

count() { wc -l <"$1" | tr -d ' '; }
bad_ok() {
	if [ -s $F/bad ]; then
		echo "$(count $F/bad) writes failed with an unexpected errno:"
		head -n 20 $F/bad
		return 1
	fi
	return 0
}

# gen KIND N: N deterministic lines (MINSTD LCG, seed $SEED + KIND's salt).
gen() {
	awk -v kind="$1" -v n="$2" -v seed="$SEED" '
	function rnd(m) { s = (s * 48271) % 2147483647; return s % m }
	function pick(a, k) { return a[rnd(k) + 1] }
	function ws() { return pick(WS, nws) }
	function num() { return pick(NUM, nnum) }
	function size() {
		if (rnd(4) == 0) return pick(NUM, nnum) pick(UNIT, nunit)
		return pick(SZ, nsz)
	}
	function val(k) {
		if (k == "size") return size()
		if (k == "threads" && rnd(3) == 0) {
			v = num(); m = rnd(5)
			for (j = 0; j < m; j++) v = v pick(LSEP, nlsep) num()
			return v
		}
		if (rnd(6) == 0) return size()
		return num()
	}
	function tok(c,   k, r) {
		k = pick(KEY, nkey)
		if (c == "bench" && k == "size") return "size=" pick(BIG, nbig)
		r = rnd(20)
		if (r == 0) return k
		if (r == 1) return k "="
		if (r == 2) return "=" val(k)
		if (r == 3) return k "==" val(k)
		if (r == 4) return k "=" val(k) "=" val(k)
		if (r == 5) return k ws() "=" val(k)
		return k "=" val(k)
	}
	BEGIN {
		s = seed + (kind == "control" ? 1 : kind == "stats" ? 2 : 3)
		if (s % 2147483647 == 0) s = 1
		nws = split(" |\t|  | \t |   ", WS, "|")
		nnum = split("0|1|2|3|4|7|8|-1|-0|+1|01|0x|0x0|0x1|0xg|0X10|0x0x10|0x0X1|00x1|1x|x1|1.5|1e9|" \
			"4096|65535|65536|2147483647|2147483648|4294967295|4294967296|" \
			"9223372036854775807|9223372036854775808|-9223372036854775808|" \
			"18446744073709551615|18446744073709551616|0xffffffffffffffff|" \
			"0x10000000000000000|0x8000000000000000|99999999999999999999999999|" \
			"00000000000000000000000000000000000000001|1 |NaN|inf|-|0x-1|1,|,1|%n%s", NUM, "|")
		nunit = split("|K|M|G|T|P|E|k|m|g|KB|GiB|GG|B|K1|Z", UNIT, "|")
		# valid sizes are small on purpose (cheap when accepted)
		nsz = split("128M|256M|0x80M|131072K|1G|0G|0M|64M|127M|129M|1K|4K|2M|" \
			"1T|16T|1024T|16384T|17179869184G|18014398509481984M|" \
			"18446744073709551615K|0xffffffffffffffffT|0x400000000000000G|" \
			"-128M|+128M|128 M|128|G|M|0x|0xM|1.5G|128MM|128m", SZ, "|")
		nbig = split("1T|16T|1024T|16384T|17179869184G|18014398509481984M|" \
			"0xffffffffffffffffT|0x400000000000000G|-1G|G|0|1.5G|64M", BIG, "|")
		nkey = split("size|size|threads|threads|pieces|nid|fail_piece|base|poison|" \
			"skip|repeats|bogus|SIZE|Threads|thread|sizes|_|=|é|x", KEY, "|")
		nlsep = split(",|,,| ,|;", LSEP, "|")
		ncmd = split("hotplug|hotplug|hotplug|unplug|reinit|verify|memset|bench|bench|" \
			"HOTPLUG|hot plug|hotplug=|status|reset|#|-|unplugx|verify!", CMD, "|")
		nsp = split("|hotplug|unplug extra|size=1G|=|==|hotplug size|hotplug size=|" \
			"hotplug =1G|hotplug size=128M size=128M|hotplug size=128M threads=1 threads=2|" \
			"bench size=16T threads=4096|bench size=16T threads=1,2,4,8|" \
			"bench size=16T pieces=4294967295 threads=2|hotplug size=16T threads=2 pieces=131072|" \
			"hotplug size=128M pieces=0|hotplug size=128M pieces=2|hotplug size=128M threads=0|" \
			"hotplug size=128M nid=1024|hotplug size=128M nid=-1|reinit skip=1|" \
			"reinit poison=2|memset size=1T|bench size=128M repeats=0|bench size=128M repeats=101|" \
			"hotplug base=0 size=128M|hotplug base=0xffffffffffffffff size=128M|" \
			"hotplug base=0xfffffffff8000000 size=256M|hotplug base=0x1000 size=128M|" \
			"hotplug size=128M fail_piece=0|unplug threads=4294967296|verify threads=18446744073709551616", SP, "|")
		nval = split("hotplug size=128M|hotplug size=256M threads=2|hotplug size=128M threads=1|" \
			"hotplug size=256M threads=2 pieces=2|hotplug size=128M nid=1|hotplug size=0x80M threads=2|" \
			"verify|verify threads=2|reinit|reinit poison=1 threads=2|reinit poison=1 skip=5|" \
			"unplug|unplug threads=2|memset size=128M|memset size=2M threads=1", VAL, "|")
		nch = split("0|1|2|5|9|x|X|K|M|G|T| |=|,|-|\t|#|z|\\", CH, "|")
		for (i = 1; i <= n; i++) {
			if (kind == "inject") {
				r = rnd(10)
				if (r < 6) line = num()
				else if (r < 8) line = ws() num() ws()
				else line = num() ws() num()
			} else if (kind == "stats") {
				r = rnd(10)
				if (r < 3) line = "reset"
				else if (r < 6) line = ws() "reset" ws()
				else if (r < 8) line = pick(CMD, ncmd) ws() num()
				else line = "reset" pick(LSEP, nlsep) "reset"
				if (rnd(3) == 0) line = substr(line, 1, rnd(length(line) + 1))
			} else if (rnd(4) == 0) {
				# a valid (cheap) command, mutated once or left valid
				line = pick(VAL, nval); L = length(line); p = rnd(L) + 1
				r = rnd(9)
				if (r >= 7 && split(line, W, " ") >= 2) {
					# one value replaced by an edge number or size
					k = rnd(length(W) - 1) + 2
					q = index(W[k], "=")
					W[k] = substr(W[k], 1, q) (substr(W[k], 1, q - 1) == "size" ? size() : num())
					line = W[1]
					for (j = 2; j <= length(W); j++) line = line " " W[j]
				} else if (r == 1) line = substr(line, 1, p - 1) pick(CH, nch) substr(line, p + 1)
				else if (r == 2) line = substr(line, 1, p - 1) substr(line, p + 1)
				else if (r == 3) line = line " " substr(line, index(line, " ") + 1)
				else if (r == 4) line = substr(line, 1, p) " " tok("x") " " substr(line, p + 1)
				else if (r == 5) line = substr(line, 1, p)
				else if (r == 6) line = line ws() tok("x")
			} else if (rnd(10) == 0) {
				line = pick(SP, nsp)
			} else {
				c = pick(CMD, ncmd)
				line = (rnd(8) == 0 ? ws() : "") c
				m = rnd(6)
				for (j = 0; j < m; j++) line = line ws() tok(c)
				if (rnd(8) == 0) line = line ws()
			}
			# echo would take a lone -n/-e as its option
			if (line ~ /^-[neE]+$/) line = line "x"
			print line
		}
	}'
}

stat_of() { sed -n "s/^$1=//p" "$stats"; }

# nothing_left: no memmap_test range in /proc/iomem, padata_mt's refcount as
# expected ($1: 1 with memmap_test loaded), memmap_test's 0, the engine's
# pool full and no helper running (helpers exit asynchronously: 5 s bound).
nothing_left() {
	n_left=$(mt_iomem_ours)
	[ "$n_left" = 0 ] || { grep memmap_test /proc/iomem; return 1; }
	if pmt_module_loaded memmap_test; then
		[ "$(cat /sys/module/memmap_test/refcnt)" = 0 ] ||
			{ echo "memmap_test refcnt $(cat /sys/module/memmap_test/refcnt)"; return 1; }
	fi
	[ "$(cat /sys/module/padata_mt/refcnt)" = "$1" ] ||
		{ echo "padata_mt refcnt $(cat /sys/module/padata_mt/refcnt), want $1"; return 1; }
	i=0
	while [ $i -lt 50 ]; do
		[ "$(stat_of pool_free)" = "$(stat_of pool_size)" ] &&
			[ "$(stat_of helpers_running)" = 0 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	cat "$stats"
	return 1
}

# A region left plugged by an accepted fuzz command is unplugged here.
unplug_any() {
	echo unplug >$C 2>/dev/null
	[ "$(mt_iomem_ours)" = 0 ]
}

# Modules that other suites left loaded (selftest modules) pin padata_mt too.
rmmod memmap_test 2>/dev/null
modprobe padata_mt
base_ref=$(cat /sys/module/padata_mt/refcnt)
ktap_test_result modprobe_memmap_test modprobe memmap_test
ref=$((base_ref + 1))
echo -1 >$inject
ktap_test_result clean_before_fuzzing nothing_left $ref

t0=$(date +%s)

# --- 1. the seeded LCG inputs, one file after the other ---------------------------
gen control 1200 >$F/control.in
gen stats 300 >$F/stats.in
gen inject 300 >$F/inject.in
ktap_print_msg "seed $SEED: $(count $F/control.in) control, $(count $F/stats.in) stats, $(count $F/inject.in) inject_fail_chunk inputs"

fuzz_control() {
	fz_file $C $F/control.in control
	unplug_any
	bad_ok && nothing_left $ref
}
ktap_test_result fuzz_control_lcg_inputs_clean_errno fuzz_control

# oracle FILE: per line N of FILE (written with a newline when N is odd),
# "N V" (well-formed), "N I" (malformed) or "N W" (no write at all: an
# empty line without its newline), by the syntax README.md documents.
oracle() {
	# shellcheck disable=SC2016 # awk program
	LC_ALL=C awk -v maxcpu="$(($(sed 's/.*-//' /sys/devices/system/cpu/possible) + 1))" \
		-v nrnodes="$(($(sed 's/.*[-,]//' /sys/devices/system/node/possible) + 1))" \
		-v online=",$(cat /sys/devices/system/node/online)," '
	function decbits(t,   n, q, r, i, d, c) {
		n = 0
		while (t != "" && t != "0") {
			q = ""; r = 0
			for (i = 1; i <= length(t); i++) {
				d = r * 10 + substr(t, i, 1); c = int(d / 2); r = d % 2
				if (q != "" || c > 0) q = q c
			}
			t = q; n++
		}
		return n
	}
	function hexbits(h,   d) {
		if (h == "") return 0
		d = index("123456789abcdef", tolower(substr(h, 1, 1)))
		return 4 * (length(h) - 1) + (d >= 8 ? 4 : d >= 4 ? 3 : d >= 2 ? 2 : 1)
	}
	function hexval(h,   v, i) {
		v = 0
		for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", tolower(substr(h, i, 1))) - 1
		return v
	}
	# A number: decimal, or hex after exactly one 0x; fits in 64 bits.
	# Sets BITS (its bit length) and VAL (exact below 2^52).
	function num(s,   h) {
		if (s ~ /^0[xX]/) {
			h = substr(s, 3)
			if (h !~ /^[0-9a-fA-F]+$/) return 0
			sub(/^0+/, "", h)
			if (length(h) > 16) return 0
			BITS = hexbits(h); VAL = BITS <= 52 ? hexval(h) : -1
			return 1
		}
		if (s !~ /^[0-9]+$/) return 0
		sub(/^0+/, "", s)
		if (length(s) > 20 || (length(s) == 20 && s > "18446744073709551615")) return 0
		BITS = decbits(s); VAL = BITS <= 52 ? s + 0 : -1
		return 1
	}
	function range(s, lo, hi) { return num(s) && VAL >= lo && VAL <= hi }
	function size(s,   u) {
		if (length(s) == 0 || length(s) >= 24) return 0
		u = index("KMGT", substr(s, length(s)))
		if (!u || !num(substr(s, 1, length(s) - 1))) return 0
		return BITS > 0 && BITS + 10 * u <= 64
	}
	function threads(s, list,   n, a, i, last) {
		n = split(s, a, ",")
		if (n > 16 || (!list && n > 1)) return 0
		last = 0
		for (i = 1; i <= n; i++) {
			if (!range(a[i], 1, maxcpu) || VAL <= last) return 0
			last = VAL
		}
		return 1
	}
	function value(k, v, c) {
		if (k == "size") return size(v)
		if (k == "base" || k == "skip" || k == "pfn") return num(v)
		if (k == "threads") return threads(v, c == "bench")
		if (k == "pieces") return range(v, 1, 65536)
		if (k == "nid") return range(v, 0, nrnodes - 1) && inrange(VAL)
		if (k == "repeats") return range(v, 1, 100)
		if (k == "poison" || k == "twopass") return range(v, 0, 1)
		if (k == "fail_piece") return range(v, 0, 65535)
		if (k == "count") return num(v) && BITS > 0
		if (k == "delay_ms") return range(v, 0, 1000)
		return 0
	}
	# Is node n online (the list: "0", "0-1", "0,2-3")?
	function inrange(n,   r, i, a, m) {
		m = split(substr(online, 2, length(online) - 2), r, ",")
		for (i = 1; i <= m; i++) {
			if (split(r[i], a, "-") == 1) a[2] = a[1]
			if (n >= a[1] + 0 && n <= a[2] + 0) return 1
		}
		return 0
	}
	function judge(line, nl,   len, t, n, i, c, kv, k, v, seen) {
		len = length(line) + nl
		if (len == 0) return "W"
		if (len >= 512 || line ~ /[^\t -~]/) return "I"
		gsub(/\t/, " ", line)
		n = split(line, t, " ")
		if (n == 0) return "I"
		c = t[1]
		if (!(c in ALLOWED)) return "I"
		delete seen
		for (i = 2; i <= n; i++) {
			if (index(t[i], "=") == 0) return "I"
			k = substr(t[i], 1, index(t[i], "=") - 1)
			v = substr(t[i], index(t[i], "=") + 1)
			if (index(ALLOWED[c], " " k " ") == 0 || (k in seen) || v == "") return "I"
			seen[k] = v
			if (!value(k, v, c)) return "I"
		}
		if ((c == "hotplug" || c == "bench") && !("size" in seen)) return "I"
		if (("skip" in seen) && seen["poison"] + 0 != 1) return "I"
		if (("skip" in seen) && ("twopass" in seen) && seen["twopass"] + 0 == 1) return "I"
		return "V"
	}
	BEGIN {
		ALLOWED["hotplug"] = " size base threads pieces nid fail_piece "
		ALLOWED["unplug"] = " threads "
		ALLOWED["reinit"] = " threads poison skip twopass flip "
		ALLOWED["verify"] = " threads "
		ALLOWED["memset"] = " threads size "
		ALLOWED["bench"] = " size threads repeats pieces nid "
		ALLOWED["async"] = " threads poison delay_ms "
		ALLOWED["sync"] = " threads pfn count "
	}
	{ print NR, judge($0, NR % 2) }' "$1"
}

# The control inputs the module accepted are well-formed; the malformed ones
# it refused with EINVAL.  (flip= is not among the fuzzed keys: the oracle
# does not judge its INDEX:BIT list.)
grammar() {
	oracle $F/control.in >$F/oracle
	sed -n 's/^control:\([0-9]*\) /\1 /p' $F/res.main >$F/got
	awk 'NR == FNR { want[$1] = $2; next }
		{ n = $1; $1 = ""; sub(/^ /, ""); got = $0
		  tot++; if (want[n] == "V") v++; else if (want[n] == "I") i++
		  if (got == "ok" && want[n] == "I") { bad++; print "line " n ": accepted, the oracle says malformed" }
		  if (got != "ok" && want[n] == "I" && got != "Invalid argument") { bad++; print "line " n ": malformed, refused with " got }
		  if (got != "ok" && want[n] == "W") { bad++; print "line " n ": no write, yet " got } }
		END { printf "%d inputs: %d well-formed, %d malformed by the oracle; %d disagreements\n", tot, v, i, bad
		      exit bad > 0 }' $F/oracle $F/got >$F/grammar.out
	rc=$?
	grep '^line ' $F/grammar.out | head -n 20
	tail -n 1 $F/grammar.out
	[ $rc = 0 ] && return 0
	# Each disagreeing input, to reproduce it.
	awk 'NR == FNR { if ($0 ~ /^line /) { split($2, a, ":"); bad[a[1] + 0] = 1 }; next }
		(FNR in bad) { print "  input " FNR ": \x27" $0 "\x27" }' $F/grammar.out $F/control.in | head -n 20
	return 1
}
ktap_test_result fuzz_control_inputs_judged_by_the_grammar grammar
ktap_print_msg "grammar: $(tail -n 1 $F/grammar.out)"
ktap_print_msg "control: accepted $(count $F/acc), rejected $(count $F/rej)"
fuzz_stats() {
	fz_file $stats $F/stats.in stats
	bad_ok && nothing_left $ref
}
ktap_test_result fuzz_stats_lcg_inputs_clean_errno fuzz_stats
fuzz_inject() {
	fz_file $inject $F/inject.in inject
	[ "$(cat $inject)" = -1 ] || { echo "inject_fail_chunk $(cat $inject)"; return 1; }
	bad_ok && nothing_left $ref
}
ktap_test_result fuzz_inject_fail_chunk_lcg_inputs_clean_errno fuzz_inject

# --- 2. edge inputs: empty, whitespace, long lines, NUL, binary, partial ------------
long() { awk -v n="$1" -v c="$2" 'BEGIN { while (n-- > 0) printf "%s", c }'; }
edge_inputs() {
	for tgt in $C $stats $inject; do
		fz "$tgt" edge:empty ''
		fz "$tgt" edge:nl '' nl
		fz "$tgt" edge:space ' '
		fz "$tgt" edge:tabs "$(printf '\t\t')" nl
		fz "$tgt" edge:ws "$(printf ' \t \t  ')"
		fz "$tgt" edge:cr "$(printf 'reset\r')"
		fz "$tgt" edge:embedded_nl "$(printf 'unplug\nverify')"
		fz "$tgt" edge:511 "$(long 511 a)"
		fz "$tgt" edge:512 "$(long 512 a)"
		fz "$tgt" edge:4095 "$(long 4095 ' ')"
		fz "$tgt" edge:4096 "$(long 4096 '9')" nl
		fz "$tgt" edge:5000 "hotplug size=128M $(long 5000 ' ')"
		fz "$tgt" edge:70000 "$(long 70000 x)"
		fz "$tgt" edge:pad510 "unplug$(long 504 ' ')" nl
		# NUL bytes: printf, no shell variable can hold them
		printf 'unplug\0verify' >"$tgt" 2>/dev/null && echo x >>$F/acc || echo x >>$F/rej
		printf '\0' >"$tgt" 2>/dev/null && echo x >>$F/acc || echo x >>$F/rej
		printf '\377\376 size=1G' >"$tgt" 2>/dev/null && echo x >>$F/acc || echo x >>$F/rej
		printf '\n\n\n' >>$F/tried
		# binary garbage, 40 blocks of 1..600 bytes from /dev/urandom
		i=0
		while [ $i -lt 40 ]; do
			i=$((i + 1))
			if dd if=/dev/urandom of="$tgt" bs=$((i * 15)) count=1 2>$F/err.dd; then
				echo >>$F/acc
			else
				echo >>$F/rej
			fi
			echo >>$F/tried
		done
		# partial writes: a valid command in pieces of 1..7 bytes, each a write()
		for bs in 1 2 3 5 7; do
			if echo "hotplug size=128M threads=2" | dd of="$tgt" bs=$bs 2>/dev/null; then
				echo >>$F/acc
			else
				echo >>$F/rej
			fi
			echo >>$F/tried
			echo -1 >$inject
		done
		echo -1 >$inject
	done
	unplug_any
	bad_ok && nothing_left $ref
}
ktap_test_result fuzz_edge_inputs_clean_errno edge_inputs
ktap_test_result inject_fail_chunk_still_off sh -c "[ \"\$(cat $inject)\" = -1 ]"

# --- 3. concurrent writers: four subshells on the three files at once -----------------
concurrent() {
	: >$F/bad
	gen control 400 >$F/conc.in
	pids=
	for w in 1 2 3; do
		(fz_id=$w; fz_file $C $F/conc.in conc$w) &
		pids="$pids $!"
	done
	(fz_id=4; fz_file $stats $F/stats.in cstats; fz_file $inject $F/inject.in cinject) &
	pids="$pids $!"
	rc=0
	for p in $pids; do
		wait "$p" || rc=1
	done
	echo -1 >$inject
	unplug_any
	bad_ok && [ $rc = 0 ] && nothing_left $ref
}
ktap_test_result fuzz_concurrent_writers_clean_errno concurrent

# --- 4. writes while a bench runs: valid commands get EBUSY ---------------------------
during_bench() {
	: >$F/bad
	echo -1 >$inject
	(if echo "bench size=1G threads=1,2 repeats=3" >$C 2>$F/bench.err; then
		echo 0
	else
		echo 1
	fi >$F/bench.rc) &
	bpid=$!
	i=0
	while ! grep -q '^busy=1$' $C && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	grep -q '^busy=1$' $C || { echo "bench never ran"; wait $bpid; return 1; }
	# a valid command is refused while bench holds the region
	busy_ok=1
	if grep -q '^busy=1$' $C; then
		e=$( { echo "hotplug size=128M" >$C; } 2>&1) && busy_ok=0
		case "$e" in *'Device or resource busy'*) ;; *) busy_ok=0 ;; esac
		[ $busy_ok = 1 ] || echo "hotplug during bench: '$e'"
	fi
	head -n 200 $F/control.in >$F/bench.in
	fz_file $C $F/bench.in bench
	fz_file $stats $F/stats.in bstats
	wait $bpid
	echo "bench: rc $(cat $F/bench.rc) $(cat $F/bench.err)"
	unplug_any
	bad_ok && [ $busy_ok = 1 ] && [ "$(cat $F/bench.rc)" = 0 ] && nothing_left $ref
}
ktap_test_result fuzz_writes_while_bench_runs during_bench

tried=$(count $F/tried)
rej=$(count $F/rej)
acc=$(count $F/acc)
ktap_print_msg "tried $tried, rejected $rej, accepted $acc ($(($(date +%s) - t0)) s)"
ktap_print_msg "errnos of the rejected echo writes:"
ktap_print_msg "$(sort $F/errs | uniq -c)"

# --- 5. the module is still usable, nothing left behind ------------------------------------
usable() {
	echo -1 >$inject || return 1
	echo "hotplug size=1G" >$C || { grep -v '^#' $C; return 1; }
	echo verify >$C || { grep -v '^#' $C; return 1; }
	grep -q '^bad_pages=0$' $C || return 1
	echo unplug >$C
}
ktap_test_result module_usable_after_fuzzing usable
ktap_test_result stats_readable_after_fuzzing sh -c "grep -q '^pool_size=' $stats"
pmt_eq inject_fail_chunk_off_at_end -1 "$(cat $inject)"
ktap_test_result nothing_left_after_fuzzing nothing_left $ref

# --- 6. lifecycle: rmmod memmap_test while a bench runs ---------------------------------
# The writer holds the control file open, and the open file a reference to
# the module: rmmod is refused (never waits, never crashes) until the bench
# ends.  If the bench ended before the rmmod (it runs seconds; three tries),
# that try proves nothing and is repeated.
rmmod_during_bench() {
	for try in 1 2 3; do
		rm -f $F/bench.rc
		(if echo "bench size=1G threads=1,2 repeats=2" >$C 2>$F/bench.err; then
			echo 0
		else
			echo 1
		fi >$F/bench.rc) &
		bpid=$!
		i=0
		while ! grep -q '^busy=1$' $C 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		grep -q '^busy=1$' $C || { echo "try $try: the bench never ran"; wait $bpid; return 1; }
		if rmmod memmap_test 2>$F/rmmod.err; then
			wait $bpid
			echo "try $try: rmmod succeeded: the bench had ended ($(cat $F/bench.rc))" >>$F/rmmod.how
			[ -s $F/bench.rc ] || return 1
			modprobe memmap_test || return 1
			continue
		fi
		echo "try $try: rmmod refused while the bench ran: $(cat $F/rmmod.err)" >>$F/rmmod.how
		pmt_module_loaded memmap_test || return 1
		wait $bpid
		echo "bench: rc $(cat $F/bench.rc) $(cat $F/bench.err)" >>$F/rmmod.how
		[ "$(cat $F/bench.rc)" = 0 ] && [ "$(mt_iomem_ours)" = 0 ] || return 1
		rmmod memmap_test && ! pmt_module_loaded memmap_test
		return
	done
	return 1
}
ktap_test_result rmmod_memmap_test_during_bench_refused rmmod_during_bench
ktap_print_msg "$(cat $F/rmmod.how 2>/dev/null)"
ktap_test_result nothing_left_after_rmmod_race nothing_left "$base_ref"
ktap_test_result memmap_test_reloads_after_race sh -c 'modprobe memmap_test && echo "hotplug size=128M" >'$C' && echo unplug >'$C
ktap_test_result unloads_clean_at_end rmmod memmap_test
