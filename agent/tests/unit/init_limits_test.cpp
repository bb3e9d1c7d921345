#include "core/init_limits.hpp"

#include <gtest/gtest.h>

namespace memtune {
namespace {

TEST(InitLimits, HalfOfThreadsMaxAsTheKernelSetsThem)
{
	// threads-max and /proc/1/limits ("Max processes", "Max pending signals") of real kernels:
	// this host's 6.18 (192735 -> 96367), 6.1 PV guests booted at 256 and 512 MiB
	// (tests/data/golden-6.1.tsv: threads_max 1506 and 3511).
	EXPECT_EQ(init_limit_for(192735), (ProcessLimit{96367, 96367}));
	EXPECT_EQ(init_limit_for(1506), (ProcessLimit{753, 753}));
	EXPECT_EQ(init_limit_for(3511), (ProcessLimit{1755, 1755}));
	EXPECT_EQ(init_limit_for(20), (ProcessLimit{10, 10})); // MIN_THREADS
}

TEST(InitLimits, FollowOnlyTheBootValueOrOurOwn)
{
	const ProcessLimit boot{1755, 1755};
	const ProcessLimit grown{11500, 11500};
	const ProcessLimit ours{5000, 5000};
	struct Case {
		const char *name;
		ProcessLimit live;
		std::optional<ProcessLimit> last;
		ProcessLimit wanted;
		std::optional<ProcessLimit> write;
	};
	const Case cases[] = {
		{"boot value, grown", boot, std::nullopt, grown, grown},
		{"our last write, grown again", ours, ours, grown, grown},
		{"our last write, back to boot size", ours, ours, boot, boot},
		{"already right", grown, grown, grown, std::nullopt},
		{"boot value at boot size", boot, std::nullopt, boot, std::nullopt},
		{"admin's limit", ProcessLimit{4096, 4096}, ours, grown, std::nullopt},
		{"admin changed the soft limit only", ProcessLimit{1000, 1755}, std::nullopt, grown,
		 std::nullopt},
		{"systemd's DefaultLimitNPROC=infinity", ProcessLimit{~0ull, ~0ull}, std::nullopt,
		 grown, std::nullopt},
		{"nothing computed", boot, std::nullopt, ProcessLimit{0, 0}, std::nullopt},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		EXPECT_EQ(follow_limit(c.live, boot, c.last, c.wanted), c.write);
	}
}

TEST(InitLimits, RestoreOnlyOverOurOwnWrite)
{
	const ProcessLimit boot{1755, 1755};
	const ProcessLimit ours{11500, 11500};
	EXPECT_EQ(restore_limit(ours, boot, ours), boot);
	EXPECT_EQ(restore_limit(boot, boot, ours), std::nullopt);
	EXPECT_EQ(restore_limit(ours, boot, std::nullopt), std::nullopt);
	EXPECT_EQ(restore_limit(ProcessLimit{4096, 4096}, boot, ours), std::nullopt);
}

TEST(InitLimits, WrittenStateRoundTrips)
{
	const InitLimitsWritten both{ProcessLimit{11500, 11500}, ProcessLimit{11500, 11501}};
	EXPECT_EQ(encode_init_limits_written(both), "nproc 11500 11500\nsigpending 11500 11501\n");
	EXPECT_EQ(*parse_init_limits_written(encode_init_limits_written(both)), both);
	const InitLimitsWritten one{std::nullopt, ProcessLimit{7, 7}};
	EXPECT_EQ(*parse_init_limits_written(encode_init_limits_written(one)), one);
	EXPECT_EQ(*parse_init_limits_written(""), InitLimitsWritten{});
	EXPECT_EQ(*parse_init_limits_written("\n"), InitLimitsWritten{});
	EXPECT_EQ(parse_init_limits_written("nproc 18446744073709551615 18446744073709551615")
			  ->nproc,
		  (ProcessLimit{~0ull, ~0ull}));
}

TEST(InitLimits, WrittenStateHostileInputs)
{
	using namespace std::string_literals;
	const std::string bad[] = {
		"nproc 1",
		"nproc 1 2 3",
		"nproc -1 2",
		"nproc +1 2",
		"nproc 1 0x10",
		"nproc 18446744073709551616 1",
		"nproc one two",
		"nofile 1 2",
		"NPROC 1 2",
		"nproc 1 2\nnproc 3 4",
		"nproc 1\0 2"s,
		"nproc 01 2",
		"sigpending 1 2 # comment",
		std::string(5000, '9'),
	};
	for (const auto &text : bad) {
		SCOPED_TRACE(text);
		EXPECT_FALSE(parse_init_limits_written(text));
	}
}

} // namespace
} // namespace memtune
