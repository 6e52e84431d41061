// SPDX-License-Identifier: GPL-2.0
/*
 * memmap_test: the strict command parser (parse.h).
 *
 * A command is "cmd key=value ...", one per write(), an optional trailing
 * newline.  The command word picks a row of the command table (cmds.c),
 * which says which keys it allows and which it requires; each key's row
 * of the key table below says how its value is parsed and into which
 * field of struct mt_args.  Anything malformed (unknown command or key, a
 * duplicate key, a missing '=', a value out of range or with trailing
 * garbage, a size without a unit, an overflow, a non-printable byte) is
 * refused with -EINVAL and one ratelimited pr_warn line saying why.
 */
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/mm_types.h>
#include <linux/nodemask.h>
#include <linux/overflow.h>
#include <linux/ratelimit.h>
#include <linux/string.h>

#include "parse.h"

/* Test-only: longest time a background pass holds one section. */
#define MT_MAX_DELAY_MS		1000

struct mt_key;
typedef int (*mt_key_fn)(const struct mt_key *k, char *val,
			 struct mt_args *a, const struct mt_cmd *cmd,
			 struct mt_out *o);

struct mt_key {
	const char *name;
	const char *meta;	/* the value in the usage text */
	mt_key_fn parse;
	size_t off;		/* the field of struct mt_args it sets */
	unsigned int min;	/* the range of a mt_key_uint() value */
	unsigned int max;
};

int mt_bad(struct mt_out *o, const char *fmt, ...)
{
	static DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL,
				      DEFAULT_RATELIMIT_BURST);
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	if (__ratelimit(&rs))
		pr_warn(MT_NAME ": rejected command: %pV\n", &vaf);
	mt_kv(o, "message=%pV\n", &vaf);
	va_end(args);
	return -EINVAL;
}

/* Decimal, or hex after one 0x: digits only, no sign, no overflow. */
static int mt_parse_u64(struct mt_out *o, const char *key, const char *s,
			u64 *v)
{
	const char *p = s, *q;
	unsigned int base = 10;
	int ret;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		base = 16;
	}
	/* kstrtoull() would take a second 0x after the first. */
	for (q = p; *q; q++)
		if (base == 10 ? !isdigit(*q) : !isxdigit(*q))
			break;
	if (q == p || *q)
		return mt_bad(o, "%s: '%s' is not a number", key, s);
	ret = kstrtoull(p, base, v);
	if (ret == -ERANGE)
		return mt_bad(o, "%s: number too large", key);
	if (ret)
		return mt_bad(o, "%s: '%s' is not a number", key, s);
	return 0;
}

static int mt_parse_uint(struct mt_out *o, const char *key, const char *s,
			 unsigned int min, unsigned int max, unsigned int *v)
{
	u64 x;
	int ret = mt_parse_u64(o, key, s, &x);

	if (ret)
		return ret;
	if (x < min || x > max)
		return mt_bad(o, "%s=%llu out of range %u..%u", key, x, min,
			      max);
	*v = x;
	return 0;
}

static void *mt_field(const struct mt_key *k, struct mt_args *a)
{
	return (char *)a + k->off;
}

static int mt_key_u64(const struct mt_key *k, char *val, struct mt_args *a,
		      const struct mt_cmd *cmd, struct mt_out *o)
{
	return mt_parse_u64(o, k->name, val, mt_field(k, a));
}

static int mt_key_nonzero(const struct mt_key *k, char *val,
			  struct mt_args *a, const struct mt_cmd *cmd,
			  struct mt_out *o)
{
	u64 *v = mt_field(k, a);
	int ret = mt_parse_u64(o, k->name, val, v);

	if (!ret && !*v)
		return mt_bad(o, "%s=0", k->name);
	return ret;
}

static int mt_key_uint(const struct mt_key *k, char *val, struct mt_args *a,
		       const struct mt_cmd *cmd, struct mt_out *o)
{
	return mt_parse_uint(o, k->name, val, k->min, k->max, mt_field(k, a));
}

static int mt_key_bool(const struct mt_key *k, char *val, struct mt_args *a,
		       const struct mt_cmd *cmd, struct mt_out *o)
{
	unsigned int x;
	int ret = mt_parse_uint(o, k->name, val, 0, 1, &x);

	if (!ret)
		*(bool *)mt_field(k, a) = x;
	return ret;
}

/* A store kind, by its name in mt_store_names[]. */
static int mt_key_store(const struct mt_key *k, char *val, struct mt_args *a,
			const struct mt_cmd *cmd, struct mt_out *o)
{
	int i = match_string(mt_store_names, MT_STORE_NR, val);

	if (i < 0)
		return mt_bad(o, "%s: '%.32s' is not copy, nt or compute",
			      k->name, val);
	*(enum mt_store_kind *)mt_field(k, a) = i;
	return 0;
}

/*
 * A number followed by exactly one unit: K, M, G or T.  Not memparse(),
 * which takes octal, lower-case units and more, and overflows silently.
 */
static int mt_key_size(const struct mt_key *k, char *s, struct mt_args *a,
		       const struct mt_cmd *cmd, struct mt_out *o)
{
	static const char units[] = "KMGT";
	u64 x, *v = mt_field(k, a);
	size_t len = strlen(s);
	char num[24];
	const char *u;
	int ret;

	if (!len || len >= sizeof(num))
		return mt_bad(o, "%s: '%s' is not a size", k->name, s);
	u = strchr(units, s[len - 1]);
	if (!u)
		return mt_bad(o, "%s: '%s' needs a unit K, M, G or T", k->name,
			      s);
	memcpy(num, s, len - 1);
	num[len - 1] = '\0';
	ret = mt_parse_u64(o, k->name, num, &x);
	if (ret)
		return ret;
	if (check_shl_overflow(x, 10 * (unsigned int)(u - units + 1), v))
		return mt_bad(o, "%s: '%s' overflows", k->name, s);
	if (!*v)
		return mt_bad(o, "%s: size 0", k->name);
	return 0;
}

static int mt_key_nid(const struct mt_key *k, char *val, struct mt_args *a,
		      const struct mt_cmd *cmd, struct mt_out *o)
{
	unsigned int x;
	int ret = mt_parse_uint(o, k->name, val, 0, nr_node_ids - 1, &x);

	if (ret)
		return ret;
	if (!node_online(x))
		return mt_bad(o, "nid=%u is not an online node", x);
	a->nid = x;
	return 0;
}

/* One count, or an increasing list of them for a command that sweeps. */
static int mt_key_threads(const struct mt_key *k, char *s, struct mt_args *a,
			  const struct mt_cmd *cmd, struct mt_out *o)
{
	unsigned int max = num_possible_cpus();
	char *tok;
	int ret;

	a->nr_threads = 0;
	while ((tok = strsep(&s, ",")) != NULL) {
		unsigned int t;

		if (!cmd->threads_list && a->nr_threads)
			return mt_bad(o, "threads: one count only (lists are for bench)");
		if (a->nr_threads == MT_MAX_SWEEP)
			return mt_bad(o, "threads: more than %d counts",
				      MT_MAX_SWEEP);
		ret = mt_parse_uint(o, "threads", tok, 1, max, &t);
		if (ret)
			return ret;
		if (a->nr_threads && t <= a->threads[a->nr_threads - 1])
			return mt_bad(o, "threads: counts must increase");
		a->threads[a->nr_threads++] = t;
	}
	return 0;
}

/* flip=INDEX:BIT[,INDEX:BIT...]: at most MT_MAX_FLIPS, no pair twice. */
static int mt_key_flips(const struct mt_key *k, char *s, struct mt_args *a,
			const struct mt_cmd *cmd, struct mt_out *o)
{
	char *tok;
	int ret;

	a->nr_flips = 0;
	while ((tok = strsep(&s, ",")) != NULL) {
		char *bit = strchr(tok, ':');
		struct mt_flip *f = &a->flips[a->nr_flips];
		unsigned int i;

		if (a->nr_flips == MT_MAX_FLIPS)
			return mt_bad(o, "flip: more than %d bits", MT_MAX_FLIPS);
		if (!bit)
			return mt_bad(o, "flip: '%.32s' is not INDEX:BIT", tok);
		*bit++ = '\0';
		ret = mt_parse_u64(o, "flip", tok, &f->index);
		if (!ret)
			ret = mt_parse_uint(o, "flip", bit, 0,
					    8 * sizeof(struct page) - 1,
					    &f->bit);
		if (ret)
			return ret;
		for (i = 0; i < a->nr_flips; i++)
			if (a->flips[i].index == f->index &&
			    a->flips[i].bit == f->bit)
				return mt_bad(o, "flip: %llu:%u twice",
					      f->index, f->bit);
		a->nr_flips++;
	}
	return 0;
}

/* A key that sets struct mt_args' @field, which must be of @type. */
#define MT_KEY(id, kname, kmeta, fn, field, type, ...)			\
	[MT_K_##id] = {							\
		.name = kname, .meta = kmeta, .parse = fn,		\
		.off = offsetof(struct mt_args, field) +		\
		       BUILD_BUG_ON_ZERO(!__same_type(			\
				((struct mt_args *)NULL)->field, type)), \
		__VA_ARGS__ }

static const struct mt_key mt_keys[MT_K_NR] = {
	MT_KEY(BASE, "base", "ADDR", mt_key_u64, base, u64),
	MT_KEY(PFN, "pfn", "PFN", mt_key_u64, pfn, u64),
	MT_KEY(COUNT, "count", "N", mt_key_nonzero, count, u64),
	MT_KEY(THREADS, "threads", "N", mt_key_threads, threads,
	       unsigned int[MT_MAX_SWEEP]),
	MT_KEY(SIZE, "size", "SIZE", mt_key_size, size, u64),
	MT_KEY(REPEATS, "repeats", "N", mt_key_uint, repeats, unsigned int,
	       .min = 1, .max = MT_MAX_REPEATS),
	MT_KEY(PIECES, "pieces", "N", mt_key_uint, pieces, unsigned int,
	       .min = 1, .max = MT_MAX_PIECES),
	MT_KEY(NID, "nid", "N", mt_key_nid, nid, int),
	MT_KEY(FAIL_PIECE, "fail_piece", "K", mt_key_uint, fail_piece,
	       unsigned int, .min = 0, .max = MT_MAX_PIECES - 1),
	MT_KEY(POISON, "poison", "0|1", mt_key_bool, poison, bool),
	MT_KEY(SKIP, "skip", "INDEX", mt_key_u64, skip, u64),
	MT_KEY(SKIP_BLOCK, "skip_block", "INDEX", mt_key_u64, skip_block, u64),
	MT_KEY(TWOPASS, "twopass", "0|1", mt_key_bool, twopass, bool),
	MT_KEY(STORE, "store", "copy|nt|compute", mt_key_store, store,
	       enum mt_store_kind),
	MT_KEY(DELAY_MS, "delay_ms", "N", mt_key_uint, delay_ms, unsigned int,
	       .min = 0, .max = MT_MAX_DELAY_MS),
	MT_KEY(FLIP, "flip", "INDEX:BIT,...", mt_key_flips, flips,
	       struct mt_flip[MT_MAX_FLIPS]),
};

const char *mt_key_name(enum mt_key_id k)
{
	return k < MT_K_NR ? mt_keys[k].name : "?";
}

const char *mt_key_meta(enum mt_key_id k, const struct mt_cmd *cmd)
{
	if (k == MT_K_THREADS && cmd->threads_list)
		return "N,N,...";
	return k < MT_K_NR ? mt_keys[k].meta : "?";
}

/* The key=value pairs after the command word. */
static int mt_parse_keys(char *s, struct mt_args *a, const struct mt_cmd *cmd,
			 struct mt_out *o)
{
	unsigned long missing;
	char *tok;
	int ret;

	while ((tok = strsep(&s, " ")) != NULL) {
		char *val;
		int k;

		if (!*tok)
			continue;
		val = strchr(tok, '=');
		if (!val)
			return mt_bad(o, "%s: '%.32s' is not key=value",
				      cmd->name, tok);
		*val++ = '\0';
		for (k = 0; k < MT_K_NR; k++)
			if (!strcmp(tok, mt_keys[k].name))
				break;
		if (k == MT_K_NR || !(cmd->allowed & BIT(k)))
			return mt_bad(o, "%s: unknown key '%.32s'", cmd->name,
				      tok);
		if (mt_given(a, k))
			return mt_bad(o, "%s: duplicate key '%s'", cmd->name,
				      tok);
		a->given |= BIT(k);
		if (!*val)
			return mt_bad(o, "%s: empty value", tok);
		ret = mt_keys[k].parse(&mt_keys[k], val, a, cmd, o);
		if (ret)
			return ret;
	}
	missing = cmd->required & ~a->given;
	if (missing)
		return mt_bad(o, "%s: %s= is required", cmd->name,
			      mt_keys[__ffs(missing)].name);
	return 0;
}

int mt_parse(char *buf, size_t len, struct mt_args *a, struct mt_out *o)
{
	char *s = buf, *tok;
	size_t i;
	int c, ret;

	memset(a, 0, sizeof(*a));
	a->cmd = MT_CMD_NR;
	a->nid = NUMA_NO_NODE;

	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	for (i = 0; i < len; i++) {
		if (buf[i] == '\t')
			buf[i] = ' ';
		else if (buf[i] < 0x20 || buf[i] > 0x7e)
			return mt_bad(o, "byte 0x%02x at offset %zu is not printable",
				      (u8)buf[i], i);
	}

	tok = strsep(&s, " ");
	while (tok && !*tok)
		tok = strsep(&s, " ");
	if (!tok)
		return mt_bad(o, "empty command");
	for (c = 0; c < MT_CMD_NR; c++)
		if (!strcmp(tok, mt_cmds[c].name))
			break;
	if (c == MT_CMD_NR)
		return mt_bad(o, "unknown command '%.32s'", tok);
	a->cmd = c;

	ret = mt_parse_keys(s, a, &mt_cmds[c], o);
	if (ret)
		return ret;
	if (mt_given(a, MT_K_SKIP) && !a->poison)
		return mt_bad(o, "reinit: skip= needs poison=1");
	if (mt_given(a, MT_K_SKIP) && a->twopass)
		return mt_bad(o, "reinit: skip= is for the one-pass reinit");
	if (mt_given(a, MT_K_SKIP_BLOCK) && !a->poison)
		return mt_bad(o, "reinit: skip_block= needs poison=1");
	if (mt_given(a, MT_K_SKIP_BLOCK) && a->twopass)
		return mt_bad(o, "reinit: skip_block= is for the one-pass reinit");
	if (mt_given(a, MT_K_STORE) && a->twopass)
		return mt_bad(o, "reinit: store= is for the one-pass reinit");
	return 0;
}
