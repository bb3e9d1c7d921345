#include "core/ack.hpp"

#include <string>

#include <gtest/gtest.h>

using namespace std::string_literals;

namespace memtune {
namespace {

TEST(Ack, EncodesThreeKeys)
{
	const KeyValues expected = {
		{"ack/seq", "42"},
		{"ack/result", "partial"},
		{"ack/reason", "swapoff xvdb refused: 310 MiB in use, 220 MiB available"},
	};
	EXPECT_EQ(encode_ack({42, AckResult::partial,
			      "swapoff xvdb refused: 310 MiB in use, 220 MiB available"}),
		  expected);
}

TEST(Ack, ResultWords)
{
	EXPECT_EQ(to_string(AckResult::applied), "applied");
	EXPECT_EQ(to_string(AckResult::partial), "partial");
	EXPECT_EQ(to_string(AckResult::refused), "refused");
}

TEST(Ack, ReasonIsSanitisedAndBounded)
{
	const auto kv = encode_ack({1, AckResult::refused,
				    "a\0b\nc\xff"s + std::string(5000, 'z')});
	ASSERT_EQ(kv.size(), 3u);
	EXPECT_EQ(kv[2].second.size(), max_reason_bytes);
	EXPECT_EQ(kv[2].second.substr(0, 6), "a?b?c?");
	EXPECT_EQ(sanitize_reason("ok", 1), "o");
	EXPECT_EQ(sanitize_reason(""), "");
	EXPECT_EQ(encode_ack({0, AckResult::applied, ""})[2].second, "");
}

} // namespace
} // namespace memtune
