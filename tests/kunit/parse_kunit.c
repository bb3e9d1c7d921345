// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for kmod/parse.c: every parser gets the hostile inputs
 * (empty, blanks, signs, prefixes, suffixes, overflow, huge, non-numeric,
 * embedded NUL, too long).  The memory/target cases include every value
 * issue 6 measured against the stock balloon driver.
 */

#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/string.h>

#include "parse.h"

/* len < 0: use strlen(in); otherwise exactly len bytes (may hold NUL) */
struct xs_case {
	const char *in;
	int len;
	int err;
	enum memtune_verdict why;
	u64 kb;
};

static const struct xs_case xs_cases[] = {
	{ "524288", -1, 0, MEMTUNE_VERDICT_OK, 524288 },
	{ "1", -1, 0, MEMTUNE_VERDICT_OK, 1 },
	{ "000524288", -1, 0, MEMTUNE_VERDICT_OK, 524288 },
	/* zero parses; memtune_check_target() refuses it */
	{ "0", -1, 0, MEMTUNE_VERDICT_OK, 0 },
	{ "18446744073709551615", -1, 0, MEMTUNE_VERDICT_OK, U64_MAX },
	/* only the given length counts */
	{ "524288", 3, 0, MEMTUNE_VERDICT_OK, 524 },
	{ "", -1, -EINVAL, MEMTUNE_VERDICT_EMPTY, 0 },
	{ "524288", 0, -EINVAL, MEMTUNE_VERDICT_EMPTY, 0 },
	/* issue 6: what %llu accepted with a different meaning */
	{ " 524288", -1, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	{ "524288 ", -1, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	{ "524288abc", -1, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	{ "0x80000", -1, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	{ "1e6", -1, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	{ "18446744073709551616", -1, -ERANGE, MEMTUNE_VERDICT_OVERFLOW, 0 },
	{ "99999999999999999999", -1, -ERANGE, MEMTUNE_VERDICT_OVERFLOW, 0 },
	{ "abc", -1, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	{ "-1", -1, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	{ "+524288", -1, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	{ "524288\n", -1, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	{ "\t524288", -1, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	{ "524 288", -1, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	{ "524288k", -1, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	{ "512M", -1, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	{ "5.0", -1, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	/* embedded NUL: "5242" then NUL then "88" (8 is no octal digit) */
	{ "5242\088", 7, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	/* issue 12: memory/target or static-max as xenbus_read() returns it */
	{ "5242\0junk", 9, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	{ "524288\0", 7, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	{ "\0", 1, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	/* non-ASCII digits (Arabic-Indic three, fullwidth one) */
	{ "\xd9\xa3", -1, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	{ "\xef\xbc\x91", -1, -EINVAL, MEMTUNE_VERDICT_NOT_DECIMAL, 0 },
	/* 25 characters, even with a small value: too long */
	{ "0000000000000000000000001", -1, -ERANGE, MEMTUNE_VERDICT_TOO_LONG, 0 },
	/* 24 characters is the limit */
	{ "000000000000000000000001", -1, 0, MEMTUNE_VERDICT_OK, 1 },
};

static void parse_test_xs_target(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(xs_cases); i++) {
		const struct xs_case *c = &xs_cases[i];
		size_t len = c->len < 0 ? strlen(c->in) : c->len;
		enum memtune_verdict why = MEMTUNE_NR_VERDICTS;
		u64 kb = 0xdeadbeef;
		int err;

		err = memtune_parse_xs_target(c->in, len, &kb, &why);
		KUNIT_EXPECT_EQ_MSG(test, err, c->err, "case %u \"%s\"", i, c->in);
		KUNIT_EXPECT_EQ_MSG(test, why, c->why, "case %u \"%s\"", i, c->in);
		/* the output is written only on success */
		KUNIT_EXPECT_EQ_MSG(test, kb, c->err ? 0xdeadbeefULL : c->kb,
				    "case %u \"%s\"", i, c->in);
	}
}

/* A 3000-digit number (issue 6) and other huge buffers. */
static void parse_test_xs_target_huge(struct kunit *test)
{
	const size_t len = 3000;
	enum memtune_verdict why;
	char *buf;
	u64 kb = 7;

	buf = kunit_kmalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);

	memset(buf, '9', len);
	KUNIT_EXPECT_EQ(test, memtune_parse_xs_target(buf, len, &kb, &why), -ERANGE);
	KUNIT_EXPECT_EQ(test, why, MEMTUNE_VERDICT_TOO_LONG);

	/* leading zeros do not make a long value acceptable */
	memset(buf, '0', len);
	buf[len - 1] = '1';
	KUNIT_EXPECT_EQ(test, memtune_parse_xs_target(buf, len, &kb, &why), -ERANGE);
	KUNIT_EXPECT_EQ(test, why, MEMTUNE_VERDICT_TOO_LONG);

	/* junk anywhere in a long value is reported as junk */
	buf[1500] = 'x';
	KUNIT_EXPECT_EQ(test, memtune_parse_xs_target(buf, len, &kb, &why), -EINVAL);
	KUNIT_EXPECT_EQ(test, why, MEMTUNE_VERDICT_NOT_DECIMAL);
	KUNIT_EXPECT_EQ(test, kb, 7ULL);

	/* NULL buffer, and a NULL verdict pointer */
	KUNIT_EXPECT_EQ(test, memtune_parse_xs_target(NULL, 5, &kb, &why), -EINVAL);
	KUNIT_EXPECT_EQ(test, why, MEMTUNE_VERDICT_EMPTY);
	KUNIT_EXPECT_EQ(test, memtune_parse_xs_target("42", 2, &kb, NULL), 0);
	KUNIT_EXPECT_EQ(test, kb, 42ULL);
}

static void parse_test_check_target(struct kunit *test)
{
	static const struct {
		u64 kb, static_max_kb;
		int err;
		enum memtune_verdict why;
	} cases[] = {
		{ 524288, 1048576, 0, MEMTUNE_VERDICT_OK },
		{ 1048576, 1048576, 0, MEMTUNE_VERDICT_OK },
		{ 1, 1048576, 0, MEMTUNE_VERDICT_OK },
		{ 0, 1048576, -ERANGE, MEMTUNE_VERDICT_ZERO },
		{ 0, 0, -ERANGE, MEMTUNE_VERDICT_ZERO },
		/* issue 6: 2097152 above static-max */
		{ 1048576 + 2097152, 1048576, -ERANGE, MEMTUNE_VERDICT_ABOVE_MAX },
		{ 1048577, 1048576, -ERANGE, MEMTUNE_VERDICT_ABOVE_MAX },
		{ U64_MAX, 1048576, -ERANGE, MEMTUNE_VERDICT_ABOVE_MAX },
		/* static-max unknown: no upper check */
		{ U64_MAX, 0, 0, MEMTUNE_VERDICT_OK },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		enum memtune_verdict why = MEMTUNE_NR_VERDICTS;

		KUNIT_EXPECT_EQ_MSG(test,
				    memtune_check_target(cases[i].kb,
							 cases[i].static_max_kb,
							 &why),
				    cases[i].err, "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, why, cases[i].why, "case %u", i);
	}
	KUNIT_EXPECT_EQ(test, memtune_check_target(0, 0, NULL), -ERANGE);
}

struct u64_case {
	const char *in;
	int len;
	int err;
	u64 val;
};

static const struct u64_case u64_cases[] = {
	{ "42", -1, 0, 42 },
	{ "42\n", -1, 0, 42 },
	{ "0\n", -1, 0, 0 },
	{ "18446744073709551615\n", -1, 0, U64_MAX },
	{ "", -1, -EINVAL, 0 },
	{ "\n", -1, -EINVAL, 0 },
	{ "42\n\n", -1, -EINVAL, 0 },
	{ "42\r\n", -1, -EINVAL, 0 },
	{ "42 ", -1, -EINVAL, 0 },
	{ " 42", -1, -EINVAL, 0 },
	{ "42\x20\n", -1, -EINVAL, 0 },	/* blank, newline */
	{ "+42", -1, -EINVAL, 0 },
	{ "-42", -1, -EINVAL, 0 },
	{ "-0", -1, -EINVAL, 0 },
	{ "0x2a", -1, -EINVAL, 0 },
	{ "052", -1, 0, 52 },	/* decimal, not octal as kstrtou64(.., 0, ..) */
	{ "4k", -1, -EINVAL, 0 },
	{ "forty-two", -1, -EINVAL, 0 },
	{ "18446744073709551616\n", -1, -ERANGE, 0 },
	{ "99999999999999999999999", -1, -ERANGE, 0 },
	{ "1000000000000000000000000\n", -1, -ERANGE, 0 },
	{ "4\0002", 3, -EINVAL, 0 },	/* 4, NUL, 2 */
	{ "42\0", 3, -EINVAL, 0 },
	{ "\n42", -1, -EINVAL, 0 },
};

static void parse_test_u64(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(u64_cases); i++) {
		const struct u64_case *c = &u64_cases[i];
		size_t len = c->len < 0 ? strlen(c->in) : c->len;
		u64 val = 0xdeadbeef;

		KUNIT_EXPECT_EQ_MSG(test, memtune_parse_u64(c->in, len, &val),
				    c->err, "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, val, c->err ? 0xdeadbeefULL : c->val,
				    "case %u", i);
	}
	KUNIT_EXPECT_EQ(test, memtune_parse_u64(NULL, 0, NULL), -EINVAL);
}

struct fields_case {
	const char *in;
	int len;
	unsigned int nr;
	int err;
	u64 val[3];
};

static const struct fields_case fields_cases[] = {
	{ "1 2 3", -1, 3, 0, { 1, 2, 3 } },
	/* /proc/sys/net/ipv4/tcp_mem prints tabs and a newline */
	{ "188000\t250667\t376000\n", -1, 3, 0, { 188000, 250667, 376000 } },
	{ "1  2 \t 3", -1, 3, 0, { 1, 2, 3 } },
	{ "18446744073709551615 0 7", -1, 3, 0, { U64_MAX, 0, 7 } },
	{ "7", -1, 1, 0, { 7 } },
	{ "7\n", -1, 1, 0, { 7 } },
	{ "", -1, 3, -EINVAL, { 0 } },
	{ "\n", -1, 3, -EINVAL, { 0 } },
	{ "1 2", -1, 3, -EINVAL, { 0 } },
	{ "1 2 ", -1, 3, -EINVAL, { 0 } },
	{ "1 2 3 4", -1, 3, -EINVAL, { 0 } },
	{ " 1 2 3", -1, 3, -EINVAL, { 0 } },
	{ "1 2 3 ", -1, 3, -EINVAL, { 0 } },
	{ "1 2 3\n\n", -1, 3, -EINVAL, { 0 } },
	{ "1 2 3\x20\n", -1, 3, -EINVAL, { 0 } },
	{ "1,2,3", -1, 3, -EINVAL, { 0 } },
	{ "1\n2\n3", -1, 3, -EINVAL, { 0 } },
	{ "1 -2 3", -1, 3, -EINVAL, { 0 } },
	{ "1 +2 3", -1, 3, -EINVAL, { 0 } },
	{ "1 0x2 3", -1, 3, -EINVAL, { 0 } },
	{ "1 2 3k", -1, 3, -EINVAL, { 0 } },
	{ "1 2 18446744073709551616", -1, 3, -ERANGE, { 0 } },
	{ "1 2 0000000000000000000000000003", -1, 3, -ERANGE, { 0 } },
	{ "1 2\0 3", 6, 3, -EINVAL, { 0 } },
	{ "1 2 3\0", 6, 3, -EINVAL, { 0 } },
	/* nr out of range */
	{ "1", -1, 0, -EINVAL, { 0 } },
	{ "1 2 3 4 5 6 7 8 9", -1, 9, -EINVAL, { 0 } },
};

static void parse_test_fields(struct kunit *test)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(fields_cases); i++) {
		const struct fields_case *c = &fields_cases[i];
		size_t len = c->len < 0 ? strlen(c->in) : c->len;
		u64 val[9];
		int err;

		for (j = 0; j < ARRAY_SIZE(val); j++)
			val[j] = 0xdeadbeef;
		err = memtune_parse_fields(c->in, len, val, c->nr);
		KUNIT_EXPECT_EQ_MSG(test, err, c->err, "case %u", i);
		/* nothing is written on failure, only nr fields on success */
		for (j = 0; j < ARRAY_SIZE(val); j++)
			KUNIT_EXPECT_EQ_MSG(test, val[j],
					    !c->err && j < c->nr ? c->val[j] :
					    0xdeadbeefULL,
					    "case %u field %u", i, j);
	}
	KUNIT_EXPECT_EQ(test, memtune_parse_fields(NULL, 0, NULL, 3), -EINVAL);
}

static void parse_test_verdict_names(struct kunit *test)
{
	unsigned int i, j;

	for (i = 0; i < MEMTUNE_NR_VERDICTS; i++) {
		const char *name = memtune_verdict_name(i);

		KUNIT_ASSERT_NOT_NULL(test, name);
		KUNIT_EXPECT_STRNEQ(test, name, "unknown");
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_STRNEQ(test, name, memtune_verdict_name(j));
	}
	KUNIT_EXPECT_STREQ(test, memtune_verdict_name(MEMTUNE_VERDICT_OK), "ok");
	KUNIT_EXPECT_STREQ(test, memtune_verdict_name(MEMTUNE_VERDICT_ABOVE_MAX),
			   "above-static-max");
	KUNIT_EXPECT_STREQ(test, memtune_verdict_name(MEMTUNE_NR_VERDICTS),
			   "unknown");
	KUNIT_EXPECT_STREQ(test, memtune_verdict_name(-1), "unknown");
}

static struct kunit_case parse_test_cases[] = {
	KUNIT_CASE(parse_test_xs_target),
	KUNIT_CASE(parse_test_xs_target_huge),
	KUNIT_CASE(parse_test_check_target),
	KUNIT_CASE(parse_test_u64),
	KUNIT_CASE(parse_test_fields),
	KUNIT_CASE(parse_test_verdict_names),
	{}
};

static struct kunit_suite parse_test_suite = {
	.name = "xen_memtune_parse",
	.test_cases = parse_test_cases,
};

kunit_test_suites(&parse_test_suite);
