/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen_memtune parsers: strict, pure, for values that come from outside
 * the guest's root (xenstore memory/target) or from sysfs writes.
 *
 * The balloon driver reads memory/target with "%llu": it skips blanks,
 * takes the longest decimal prefix, ignores the rest and wraps past 2^64.
 * These parsers accept decimal digits only and say why they refuse.
 *
 * Kbuild links parse.o (with policy.o and floor.o).
 */
#ifndef _XEN_MEMTUNE_PARSE_H
#define _XEN_MEMTUNE_PARSE_H

#include <linux/types.h>

/* Why a value was refused; names go to data/memtune/kmod/refused-reason. */
enum memtune_verdict {
	MEMTUNE_VERDICT_OK,
	MEMTUNE_VERDICT_EMPTY,		/* no characters */
	MEMTUNE_VERDICT_NOT_DECIMAL,	/* blank, sign, prefix, suffix, NUL, junk */
	MEMTUNE_VERDICT_TOO_LONG,	/* more than MEMTUNE_PARSE_MAX_LEN characters */
	MEMTUNE_VERDICT_OVERFLOW,	/* does not fit in u64 */
	MEMTUNE_VERDICT_ZERO,		/* a target of 0 kB */
	MEMTUNE_VERDICT_ABOVE_MAX,	/* a target above memory/static-max */
	MEMTUNE_NR_VERDICTS
};

/*
 * Longest value accepted: 20 digits hold U64_MAX; a little room for
 * leading zeros, no room for a 3000-digit number.
 */
#define MEMTUNE_PARSE_MAX_LEN	24

/*
 * "ok", "empty", "not-decimal", "too-long", "overflow", "zero",
 * "above-static-max".
 */
const char *memtune_verdict_name(enum memtune_verdict v);

/*
 * A xenstore memory/target value, KiB.  buf holds len bytes and need not
 * be NUL-terminated; a NUL inside len is refused (xenstore values may
 * contain NUL).  Only '0'..'9' are accepted: no blanks, newline, sign,
 * "0x", suffix.  Returns 0, -EINVAL (empty, not decimal) or -ERANGE (too
 * long, overflow); *kb is written only on success.  why may be NULL.
 * Pass the length xenbus_read(t, dir, node, &len) returns, not strlen():
 * strlen() stops at an embedded NUL and "5242\0junk" would pass as 5242.
 */
int memtune_parse_xs_target(const char *buf, size_t len, u64 *kb,
			    enum memtune_verdict *why);

/*
 * A target (KiB) within range: 0 < kb <= static_max_kb (static_max_kb 0 =
 * unknown: no upper check).  Returns 0 or -ERANGE.  why may be NULL.
 */
int memtune_check_target(u64 kb, u64 static_max_kb,
			 enum memtune_verdict *why);

/*
 * A sysfs write: decimal u64, optionally one trailing '\n' (what echo
 * adds).  buf holds len bytes (the store() count).  Returns 0, -EINVAL or
 * -ERANGE (same rules as memtune_parse_xs_target() otherwise).
 */
int memtune_parse_u64(const char *buf, size_t len, u64 *val);

/*
 * Exactly nr decimal u64 fields separated by runs of blanks (' ' or '\t':
 * /proc/sys prints tcp_mem with tabs), no leading blank, optionally one
 * trailing '\n' after the last field.  "a b c" for tcp_mem and udp_mem,
 * and for reading /proc/sys values back.  vals[] is written only on
 * success.  Returns 0, -EINVAL or -ERANGE.
 */
int memtune_parse_fields(const char *buf, size_t len, u64 *vals,
			 unsigned int nr);

#endif /* _XEN_MEMTUNE_PARSE_H */
