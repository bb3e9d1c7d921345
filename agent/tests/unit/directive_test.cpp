#include "core/directive.hpp"

#include <string>

#include <gtest/gtest.h>

#include "core/number.hpp"

using namespace std::string_literals;

namespace memtune {
namespace {

constexpr std::uint64_t now = 1764000000; // 2025-11-24, seconds since the epoch

RawDirective valid_raw()
{
	RawDirective r;
	r.seq = "8";
	r.expires = std::to_string(now + 60);
	r.swap_mode = "avoid-disk";
	r.reclaim_kb = "262144";
	r.swappiness = "30";
	return r;
}

TEST(Directive, ValidDirectiveParses)
{
	auto out = parse_directive(valid_raw(), now, 7, Config{});
	ASSERT_TRUE(std::holds_alternative<Directive>(out));
	const auto &d = std::get<Directive>(out);
	EXPECT_EQ(d.seq, 8u);
	EXPECT_EQ(d.expires_s, now + 60);
	EXPECT_EQ(d.swap_mode, SwapMode::avoid_disk);
	EXPECT_EQ(d.reclaim_kb, 262144u);
	EXPECT_EQ(d.swappiness, 30u);
}

TEST(Directive, OptionalNodesMayBeAbsent)
{
	RawDirective r = valid_raw();
	r.swap_mode.reset();
	r.swappiness.reset();
	auto out = parse_directive(r, now, 0, Config{});
	ASSERT_TRUE(std::holds_alternative<Directive>(out));
	const auto &d = std::get<Directive>(out);
	EXPECT_FALSE(d.swap_mode);
	EXPECT_EQ(d.reclaim_kb, 262144u);
	EXPECT_FALSE(d.swappiness);
}

TEST(Directive, NothingThereIsNoDirective)
{
	EXPECT_TRUE(std::holds_alternative<NoDirective>(parse_directive({}, now, 5, Config{})));
}

TEST(Directive, SameSeqAgainIsAlreadyAnswered)
{
	// Watches fire on registration and spuriously: the same directive read twice is not a replay.
	auto out = parse_directive(valid_raw(), now, 8, Config{});
	ASSERT_TRUE(std::holds_alternative<AlreadyAnswered>(out));
	EXPECT_EQ(std::get<AlreadyAnswered>(out).seq, 8u);
}

struct RefusalCase {
	const char *name;
	void (*edit)(RawDirective &, Config &);
	RefusalKind kind;
	std::optional<std::uint64_t> seq; // the ack can name it
	const char *reason;               // a substring of the reason
};

TEST(Directive, RefusalTable)
{
	const RefusalCase cases[] = {
		// seq
		{"seq absent", [](RawDirective &r, Config &) { r.seq.reset(); },
		 RefusalKind::malformed, std::nullopt, "directive has no seq"},
		{"seq empty", [](RawDirective &r, Config &) { r.seq = ""; },
		 RefusalKind::malformed, std::nullopt, "seq is empty"},
		{"seq spaces", [](RawDirective &r, Config &) { r.seq = " 9 "; },
		 RefusalKind::malformed, std::nullopt, "seq \" 9 \" is not a plain decimal number"},
		{"seq plus", [](RawDirective &r, Config &) { r.seq = "+9"; },
		 RefusalKind::malformed, std::nullopt, "seq"},
		{"seq minus", [](RawDirective &r, Config &) { r.seq = "-9"; },
		 RefusalKind::malformed, std::nullopt, "seq"},
		{"seq zero", [](RawDirective &r, Config &) { r.seq = "0"; },
		 RefusalKind::malformed, std::nullopt, "seq 0 is not allowed"},
		{"seq overflow", [](RawDirective &r, Config &) { r.seq = "18446744073709551616"; },
		 RefusalKind::malformed, std::nullopt, "too large"},
		{"seq over-long", [](RawDirective &r, Config &) { r.seq = std::string(2048, '9'); },
		 RefusalKind::malformed, std::nullopt, "too long"},
		{"seq NUL", [](RawDirective &r, Config &) { r.seq = "9\0"s; },
		 RefusalKind::malformed, std::nullopt, "seq \"9\\x00\""},
		{"seq garbage", [](RawDirective &r, Config &) { r.seq = "nine"; },
		 RefusalKind::malformed, std::nullopt, "seq \"nine\""},
		{"seq hex", [](RawDirective &r, Config &) { r.seq = "0x9"; },
		 RefusalKind::malformed, std::nullopt, "seq"},
		{"replayed", [](RawDirective &r, Config &) { r.seq = "3"; },
		 RefusalKind::replayed, 3, "seq 3 is not newer than the last answered seq 7"},
		// local config switch
		{"disabled", [](RawDirective &, Config &c) { c.honour_dom0 = false; },
		 RefusalKind::disabled, 8, "honour_dom0 = no"},
		// expires
		{"expires absent", [](RawDirective &r, Config &) { r.expires.reset(); },
		 RefusalKind::malformed, 8, "directive has no expires"},
		{"expires garbage", [](RawDirective &r, Config &) { r.expires = "soon"; },
		 RefusalKind::malformed, 8, "expires \"soon\""},
		{"expires negative", [](RawDirective &r, Config &) { r.expires = "-1"; },
		 RefusalKind::malformed, 8, "expires"},
		{"expired now", [](RawDirective &r, Config &) { r.expires = std::to_string(now); },
		 RefusalKind::expired, 8, "directive expired 0 s ago"},
		{"expired long ago", [](RawDirective &r, Config &) { r.expires = "1"; },
		 RefusalKind::expired, 8, "expired"},
		{"expires too far", [](RawDirective &r, Config &) { r.expires = std::to_string(now + 86401); },
		 RefusalKind::out_of_range, 8, "86401 s ahead, more than the local maximum 86400 s"},
		{"expires huge", [](RawDirective &r, Config &) { r.expires = "18446744073709551615"; },
		 RefusalKind::out_of_range, 8, "more than the local maximum"},
		// swap-mode
		{"mode unknown", [](RawDirective &r, Config &) { r.swap_mode = "turbo"; },
		 RefusalKind::malformed, 8, "swap-mode \"turbo\" is not"},
		{"mode empty", [](RawDirective &r, Config &) { r.swap_mode = ""; },
		 RefusalKind::malformed, 8, "swap-mode \"\""},
		{"mode trailing newline", [](RawDirective &r, Config &) { r.swap_mode = "normal\n"; },
		 RefusalKind::malformed, 8, "swap-mode \"normal\\x0a\""},
		{"mode command", [](RawDirective &r, Config &) { r.swap_mode = "normal; swapoff -a"; },
		 RefusalKind::malformed, 8, "swap-mode"},
		{"mode device", [](RawDirective &r, Config &) { r.swap_mode = "/dev/xvdb"; },
		 RefusalKind::malformed, 8, "swap-mode"},
		{"mode over-long", [](RawDirective &r, Config &) { r.swap_mode = std::string(4000, 'a'); },
		 RefusalKind::malformed, 8, "...\" is not"},
		{"mode not allowed",
		 [](RawDirective &, Config &c) { c.allowed_modes = {SwapMode::normal}; },
		 RefusalKind::not_allowed, 8, "swap-mode avoid-disk is not allowed by local config"},
		// reclaim-kb
		{"reclaim over max", [](RawDirective &r, Config &) { r.reclaim_kb = "1048577"; },
		 RefusalKind::out_of_range, 8, "reclaim-kb 1048577 is above the local maximum 1048576"},
		{"reclaim huge", [](RawDirective &r, Config &) { r.reclaim_kb = "18446744073709551615"; },
		 RefusalKind::out_of_range, 8, "reclaim-kb"},
		{"reclaim overflow", [](RawDirective &r, Config &) { r.reclaim_kb = "99999999999999999999"; },
		 RefusalKind::malformed, 8, "too large"},
		{"reclaim units", [](RawDirective &r, Config &) { r.reclaim_kb = "256M"; },
		 RefusalKind::malformed, 8, "reclaim-kb \"256M\""},
		{"reclaim float", [](RawDirective &r, Config &) { r.reclaim_kb = "1.5"; },
		 RefusalKind::malformed, 8, "reclaim-kb"},
		{"reclaim negative", [](RawDirective &r, Config &) { r.reclaim_kb = "-4"; },
		 RefusalKind::malformed, 8, "reclaim-kb"},
		// swappiness
		{"swappiness above kernel", [](RawDirective &r, Config &) { r.swappiness = "201"; },
		 RefusalKind::out_of_range, 8, "outside the kernel's 0..200"},
		{"swappiness above local", [](RawDirective &r, Config &) { r.swappiness = "101"; },
		 RefusalKind::out_of_range, 8, "swappiness 101 is outside the local range 0..100"},
		{"swappiness below local",
		 [](RawDirective &, Config &c) { c.swappiness_min = 40; },
		 RefusalKind::out_of_range, 8, "outside the local range 40..100"},
		{"swappiness garbage", [](RawDirective &r, Config &) { r.swappiness = "high"; },
		 RefusalKind::malformed, 8, "swappiness"},
		{"swappiness huge", [](RawDirective &r, Config &) { r.swappiness = "4294967296"; },
		 RefusalKind::out_of_range, 8, "swappiness"},
		// nothing asked
		{"empty", [](RawDirective &r, Config &) {
			 r.swap_mode.reset(); r.reclaim_kb.reset(); r.swappiness.reset(); },
		 RefusalKind::empty, 8, "asks for nothing"},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		RawDirective raw = valid_raw();
		Config config;
		c.edit(raw, config);
		auto out = parse_directive(raw, now, 7, config);
		ASSERT_TRUE(std::holds_alternative<Refusal>(out));
		const auto &r = std::get<Refusal>(out);
		EXPECT_EQ(r.kind, c.kind);
		EXPECT_EQ(r.seq, c.seq);
		EXPECT_NE(r.reason.find(c.reason), std::string::npos) << r.reason;
		// Reasons go to xenstore: printable ASCII, bounded.
		EXPECT_LE(r.reason.size(), 200u);
		for (char ch : r.reason)
			EXPECT_TRUE(ch >= 0x20 && ch < 0x7f) << r.reason;
	}
}

TEST(Directive, ZeroReclaimAloneIsAValidNoOp)
{
	RawDirective r;
	r.seq = "1";
	r.expires = std::to_string(now + 1);
	r.reclaim_kb = "0";
	auto out = parse_directive(r, now, 0, Config{});
	ASSERT_TRUE(std::holds_alternative<Directive>(out));
	EXPECT_EQ(std::get<Directive>(out).reclaim_kb, 0u);
}

TEST(Directive, LargestSeqIsAccepted)
{
	RawDirective r = valid_raw();
	r.seq = "18446744073709551615";
	auto out = parse_directive(r, now, 18446744073709551614ULL, Config{});
	ASSERT_TRUE(std::holds_alternative<Directive>(out));
	EXPECT_EQ(std::get<Directive>(out).seq, UINT64_MAX);
}

} // namespace
} // namespace memtune
