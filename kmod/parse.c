// SPDX-License-Identifier: GPL-2.0
/*
 * xen_memtune parsers: decimal digits only, with the reason for a refusal.
 *
 * kstrtoull() is not strict enough here: it takes "+5", "0x10" and "010"
 * (as octal with base 0), and xenstore values arrive with a length, not a
 * NUL terminator, and may hold a NUL.
 */

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/limits.h>

#include "parse.h"

static const char *const verdict_names[MEMTUNE_NR_VERDICTS] = {
	[MEMTUNE_VERDICT_OK] = "ok",
	[MEMTUNE_VERDICT_EMPTY] = "empty",
	[MEMTUNE_VERDICT_NOT_DECIMAL] = "not-decimal",
	[MEMTUNE_VERDICT_TOO_LONG] = "too-long",
	[MEMTUNE_VERDICT_OVERFLOW] = "overflow",
	[MEMTUNE_VERDICT_ZERO] = "zero",
	[MEMTUNE_VERDICT_ABOVE_MAX] = "above-static-max",
};

const char *memtune_verdict_name(enum memtune_verdict v)
{
	if ((unsigned int)v >= MEMTUNE_NR_VERDICTS)
		return "unknown";
	return verdict_names[v];
}

static int verdict_errno(enum memtune_verdict v)
{
	switch (v) {
	case MEMTUNE_VERDICT_OK:
		return 0;
	case MEMTUNE_VERDICT_EMPTY:
	case MEMTUNE_VERDICT_NOT_DECIMAL:
		return -EINVAL;
	default:
		return -ERANGE;
	}
}

/*
 * Exactly the len bytes at buf as a decimal u64.  Every byte is checked
 * before the length, so "12a" of any length is not-decimal, not too-long:
 * junk is the more useful thing to tell the operator.
 */
static enum memtune_verdict parse_digits(const char *buf, size_t len, u64 *val)
{
	u64 v = 0;
	size_t i;

	if (!len)
		return MEMTUNE_VERDICT_EMPTY;
	for (i = 0; i < len; i++)
		if (buf[i] < '0' || buf[i] > '9')
			return MEMTUNE_VERDICT_NOT_DECIMAL;
	if (len > MEMTUNE_PARSE_MAX_LEN)
		return MEMTUNE_VERDICT_TOO_LONG;
	for (i = 0; i < len; i++) {
		unsigned int d = buf[i] - '0';

		if (v > (U64_MAX - d) / 10)
			return MEMTUNE_VERDICT_OVERFLOW;
		v = v * 10 + d;
	}
	*val = v;
	return MEMTUNE_VERDICT_OK;
}

int memtune_parse_xs_target(const char *buf, size_t len, u64 *kb,
			    enum memtune_verdict *why)
{
	enum memtune_verdict v;
	u64 val;

	v = buf ? parse_digits(buf, len, &val) : MEMTUNE_VERDICT_EMPTY;
	if (why)
		*why = v;
	if (v == MEMTUNE_VERDICT_OK)
		*kb = val;
	return verdict_errno(v);
}

int memtune_check_target(u64 kb, u64 static_max_kb,
			 enum memtune_verdict *why)
{
	enum memtune_verdict v = MEMTUNE_VERDICT_OK;

	if (!kb)
		v = MEMTUNE_VERDICT_ZERO;
	else if (static_max_kb && kb > static_max_kb)
		v = MEMTUNE_VERDICT_ABOVE_MAX;
	if (why)
		*why = v;
	return v == MEMTUNE_VERDICT_OK ? 0 : -ERANGE;
}

/* Drop the one trailing newline echo(1) adds; a second one is junk. */
static size_t strip_newline(const char *buf, size_t len)
{
	return len && buf[len - 1] == '\n' ? len - 1 : len;
}

int memtune_parse_u64(const char *buf, size_t len, u64 *val)
{
	u64 v;
	int err;

	if (!buf)
		return -EINVAL;
	err = verdict_errno(parse_digits(buf, strip_newline(buf, len), &v));
	if (!err)
		*val = v;
	return err;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int memtune_parse_fields(const char *buf, size_t len, u64 *vals,
			 unsigned int nr)
{
	u64 tmp[8];
	size_t pos = 0, start;
	unsigned int i;
	int err;

	if (!buf || !nr || nr > ARRAY_SIZE(tmp))
		return -EINVAL;
	len = strip_newline(buf, len);
	for (i = 0; i < nr; i++) {
		if (i) {
			/* at least one blank between fields */
			if (pos >= len || !is_blank(buf[pos]))
				return -EINVAL;
			while (pos < len && is_blank(buf[pos]))
				pos++;
		}
		start = pos;
		while (pos < len && !is_blank(buf[pos]))
			pos++;
		err = verdict_errno(parse_digits(buf + start, pos - start,
						 &tmp[i]));
		if (err)
			return err;
	}
	if (pos != len)
		return -EINVAL;	/* trailing blanks or extra fields */
	for (i = 0; i < nr; i++)
		vals[i] = tmp[i];
	return 0;
}
