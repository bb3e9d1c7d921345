#include "core/number.hpp"

#include <cstdint>
#include <optional>
#include <string>

#include <gtest/gtest.h>

using namespace std::string_literals;

namespace memtune {
namespace {

struct U64Case {
	std::string text;
	std::optional<std::uint64_t> expected; // nullopt: must be refused
};

TEST(Number, ParseU64Table)
{
	const U64Case cases[] = {
		{"0", 0},
		{"1", 1},
		{"42", 42},
		{"18446744073709551615", UINT64_MAX},
		{"18446744073709551616", std::nullopt},  // overflow by one
		{"99999999999999999999", std::nullopt},  // overflow, 20 digits
		{"123456789012345678901", std::nullopt}, // too long
		{"", std::nullopt},
		{" ", std::nullopt},
		{" 1", std::nullopt},
		{"1 ", std::nullopt},
		{"1\n", std::nullopt},
		{"+1", std::nullopt},
		{"-1", std::nullopt},
		{"-0", std::nullopt},
		{"01", std::nullopt},
		{"00", std::nullopt},
		{"0x10", std::nullopt},
		{"1e3", std::nullopt},
		{"1.0", std::nullopt},
		{"abc", std::nullopt},
		{"1\0"s "2", std::nullopt},              // embedded NUL
		{"\0"s, std::nullopt},
		{std::string(4096, '1'), std::nullopt},  // over-long
		{"\xff\xfe", std::nullopt},
		{"１", std::nullopt},                     // full-width digit (UTF-8)
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(quote_for_message(c.text));
		auto r = parse_u64(c.text, "seq");
		ASSERT_EQ(r.ok(), c.expected.has_value())
			<< (r ? std::to_string(*r) : r.error().message);
		if (c.expected) {
			EXPECT_EQ(*r, *c.expected);
		} else {
			EXPECT_NE(r.error().message.find("seq"), std::string::npos);
		}
	}
}

TEST(Number, ParseI64Table)
{
	const std::pair<std::string, std::optional<std::int64_t>> cases[] = {
		{"0", 0},
		{"-1", -1},
		{"-2", -2},
		{"32767", 32767},
		{"9223372036854775807", INT64_MAX},
		{"-9223372036854775808", INT64_MIN},
		{"9223372036854775808", std::nullopt},
		{"-9223372036854775809", std::nullopt},
		{"-", std::nullopt},
		{"--1", std::nullopt},
		{"-0", std::nullopt},
		{"+5", std::nullopt},
		{"- 1", std::nullopt},
		{"", std::nullopt},
		{"5x", std::nullopt},
	};
	for (const auto &[text, expected] : cases) {
		SCOPED_TRACE(quote_for_message(text));
		auto r = parse_i64(text, "priority");
		ASSERT_EQ(r.ok(), expected.has_value());
		if (expected) {
			EXPECT_EQ(*r, *expected);
		}
	}
}

TEST(Number, ParseCentiPercentTable)
{
	const std::pair<std::string, std::optional<std::uint32_t>> cases[] = {
		{"0.00", 0},
		{"0", 0},
		{"12.34", 1234},
		{"12.3", 1230},
		{"100.00", 10000},
		{"100", 10000},
		{"100.01", std::nullopt},
		{"101", std::nullopt},
		{"1.234", std::nullopt},
		{"1.", std::nullopt},
		{".5", std::nullopt},
		{"-1.00", std::nullopt},
		{"1,00", std::nullopt},
		{"", std::nullopt},
		{"nan", std::nullopt},
		{"1.0\0"s, std::nullopt},
	};
	for (const auto &[text, expected] : cases) {
		SCOPED_TRACE(quote_for_message(text));
		auto r = parse_centi_percent(text, "avg10");
		ASSERT_EQ(r.ok(), expected.has_value());
		if (expected) {
			EXPECT_EQ(*r, *expected);
		}
	}
}

TEST(Number, ParseSizeKbTable)
{
	const std::pair<std::string, std::optional<std::uint64_t>> cases[] = {
		{"1", 1},
		{"0", 0},
		{"1048576", 1048576},
		{"1048576K", 1048576},
		{"512M", 524288},
		{"512m", 524288},
		{"2G", 2097152},
		{"2GiB", 2097152},
		{"1T", 1073741824},
		{"4k", 4},
		{"17179869183T", 17179869183ULL << 30},  // largest whole T that fits in KiB
		{"17179869184T", std::nullopt},          // 2^34 T = 2^64 KiB
		{"18446744073709551615", UINT64_MAX},
		{"18446744073709551616", std::nullopt},
		{"1.5G", std::nullopt},
		{"G", std::nullopt},
		{"", std::nullopt},
		{" 2G", std::nullopt},
		{"2G ", std::nullopt},
		{"2 G", std::nullopt},
		{"-2G", std::nullopt},
		{"+2G", std::nullopt},
		{"2GB", std::nullopt},
		{"2Gi", std::nullopt},
		{"2X", std::nullopt},
		{"2GG", std::nullopt},
		{"02G", std::nullopt},
		{"2G\0"s, std::nullopt},
		{std::string(100, '9') + "K", std::nullopt},
	};
	for (const auto &[text, expected] : cases) {
		SCOPED_TRACE(quote_for_message(text));
		auto r = parse_size_kb(text);
		ASSERT_EQ(r.ok(), expected.has_value()) << (r ? "" : r.error().message);
		if (expected) {
			EXPECT_EQ(*r, *expected);
		}
	}
}

TEST(Number, QuoteForMessageEscapesAndTruncates)
{
	EXPECT_EQ(quote_for_message("abc"), "\"abc\"");
	EXPECT_EQ(quote_for_message("a\0b"s), "\"a\\x00b\"");
	EXPECT_EQ(quote_for_message("\"\\\n"), "\"\\x22\\x5c\\x0a\"");
	EXPECT_EQ(quote_for_message(std::string(40, 'x')), "\"" + std::string(32, 'x') + "...\"");
}

TEST(Number, FormatKb)
{
	EXPECT_EQ(format_kb(0), "0 KiB");
	EXPECT_EQ(format_kb(1023), "1023 KiB");
	EXPECT_EQ(format_kb(1024), "1 MiB");
	EXPECT_EQ(format_kb(317440), "310 MiB");
}

} // namespace
} // namespace memtune
