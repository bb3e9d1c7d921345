#include "core/config.hpp"

#include <string>

#include <gtest/gtest.h>

using namespace std::string_literals;

namespace memtune {
namespace {

const std::string main_path = "/etc/xen-memtune/agent.conf";

Result<Config> parse_one(const std::string &text)
{
	return parse_config({{main_path, text}});
}

TEST(Config, NoFilesGivesDefaults)
{
	auto c = parse_config({});
	ASSERT_TRUE(c);
	EXPECT_TRUE(c->honour_dom0);
	EXPECT_EQ(c->allowed_modes.size(), 3u);
	EXPECT_EQ(c->max_reclaim_kb, 1048576u);
	EXPECT_EQ(c->swappiness_min, 0u);
	EXPECT_EQ(c->swappiness_max, 100u);
	EXPECT_FALSE(c->drop_caches_allowed);
	EXPECT_EQ(c->publish.heartbeat_ms, 60000u);
	EXPECT_EQ(c->publish.min_interval_ms, 5000u);
	EXPECT_EQ(c->fast_device_patterns, std::vector<std::string>{"/dev/zram*"});
	EXPECT_TRUE(c->xapi.enabled);
	EXPECT_EQ(c->xapi.interval_ms, 60000u);
	EXPECT_TRUE(c->init_limits_follow);
	EXPECT_FALSE(c->init_limits_restore_on_stop);
}

TEST(Config, ParsesEveryKey)
{
	auto c = parse_one("# site policy\n"
			   "[directives]\n"
			   "honour_dom0 = no\n"
			   "allowed_modes = normal avoid-disk normal\n"
			   "max_reclaim_kb = 262144\n"
			   "swappiness_min = 10\n"
			   "swappiness_max = 150\n"
			   "max_lifetime_s = 600\n"
			   "\n"
			   "[reclaim]\n"
			   "drop_caches = yes ; inline comment\n"
			   "step_kb = 32768\n"
			   "psi_stop = 12.5\n"
			   "[swap]\n"
			   "safety_margin_kb = 131072\n"
			   "fast_devices = /dev/zram* /dev/nvme0n1p3\n"
			   "[report]\n"
			   "heartbeat_s = 120\n"
			   "min_interval_s = 10\n"
			   "mem_delta_kb = 65536\n"
			   "swap_delta_kb = 8192\n"
			   "psi_delta = 2.50\n"
			   "rate_delta_pps = 50\n"
			   "floor_margin_kb = 0\n"
			   "[xapi]\n"
			   "enabled = no\n"
			   "interval_s = 120\n"
			   "[init]\n"
			   "follow_balloon = no\n"
			   "restore_on_stop = yes\n");
	ASSERT_TRUE(c) << c.error().message;
	EXPECT_FALSE(c->honour_dom0);
	EXPECT_EQ(c->allowed_modes, (std::vector<SwapMode>{SwapMode::normal, SwapMode::avoid_disk}));
	EXPECT_TRUE(c->mode_allowed(SwapMode::avoid_disk));
	EXPECT_FALSE(c->mode_allowed(SwapMode::prefer_fast));
	EXPECT_EQ(c->max_reclaim_kb, 262144u);
	EXPECT_EQ(c->swappiness_min, 10u);
	EXPECT_EQ(c->swappiness_max, 150u);
	EXPECT_EQ(c->max_lifetime_s, 600u);
	EXPECT_TRUE(c->drop_caches_allowed);
	EXPECT_EQ(c->reclaim_step_kb, 32768u);
	EXPECT_EQ(c->reclaim_psi_stop_centi, 1250u);
	EXPECT_EQ(c->swap_safety_margin_kb, 131072u);
	EXPECT_EQ(c->fast_device_patterns,
		  (std::vector<std::string>{"/dev/zram*", "/dev/nvme0n1p3"}));
	EXPECT_EQ(c->publish.heartbeat_ms, 120000u);
	EXPECT_EQ(c->publish.min_interval_ms, 10000u);
	EXPECT_EQ(c->publish.mem_delta_kb, 65536u);
	EXPECT_EQ(c->publish.swap_delta_kb, 8192u);
	EXPECT_EQ(c->publish.psi_delta_centi, 250u);
	EXPECT_DOUBLE_EQ(c->publish.rate_delta_pps, 50.0);
	EXPECT_EQ(c->floor_margin_kb, 0u);
	EXPECT_FALSE(c->xapi.enabled);
	EXPECT_EQ(c->xapi.interval_ms, 120000u);
	EXPECT_FALSE(c->init_limits_follow);
	EXPECT_TRUE(c->init_limits_restore_on_stop);
}

TEST(Config, EmptyListsAreAllowed)
{
	auto c = parse_one("[directives]\nallowed_modes =\n[swap]\nfast_devices =\n");
	ASSERT_TRUE(c) << c.error().message;
	EXPECT_TRUE(c->allowed_modes.empty());
	EXPECT_TRUE(c->fast_device_patterns.empty());
}

TEST(Config, DropInsOverrideKeyByKeyInOrder)
{
	auto c = parse_config({
		{main_path, "[directives]\nmax_reclaim_kb = 100\nswappiness_max = 60\n"},
		{"/etc/xen-memtune/agent.conf.d/10-a.conf", "[directives]\nmax_reclaim_kb = 200\n"},
		{"/etc/xen-memtune/agent.conf.d/20-b.conf", "[directives]\nmax_reclaim_kb = 300\n"},
	});
	ASSERT_TRUE(c) << c.error().message;
	EXPECT_EQ(c->max_reclaim_kb, 300u);
	EXPECT_EQ(c->swappiness_max, 60u);
}

TEST(Config, OrderDropins)
{
	EXPECT_EQ(order_dropins({"20-b.conf", ".hidden.conf", "10-a.conf", "README", "x.conf~",
				 "x.conf.dpkg-old", ".conf", "99-z.conf", "A.conf"}),
		  (std::vector<std::string>{"10-a.conf", "20-b.conf", "99-z.conf", "A.conf"}));
	EXPECT_TRUE(order_dropins({}).empty());
}

TEST(Config, ErrorsNameFileAndLine)
{
	const std::pair<std::string, std::string> cases[] = {
		{"[directives]\nhonour_dom0 = maybe\n", "agent.conf:2: honour_dom0 \"maybe\" is not yes or no"},
		{"[directives]\nmax_reclaim_kb = -1\n", "agent.conf:2: max_reclaim_kb"},
		{"[directives]\n\nmax_reclaim_kb = 1K\n", "agent.conf:3: max_reclaim_kb"},
		{"[directives]\nmax_reclaim_kb =\n", "agent.conf:2: max_reclaim_kb is empty"},
		{"[directives]\nmax_reclaim_kb = +5\n", "agent.conf:2: max_reclaim_kb \"+5\""},
		{"[directives]\nmax_reclaim_kb = 1 2\n", "agent.conf:2: max_reclaim_kb \"1 2\""},
		{"[directives]\nmax_reclaim_kb = lots\n", "agent.conf:2: max_reclaim_kb \"lots\""},
		{"[directives]\nmax_reclaim_kb = 0x10\n", "agent.conf:2: max_reclaim_kb"},
		{"[directives]\nhonour_dom0 = yes please\n", "agent.conf:2: honour_dom0"},
		{"[directives]\nmax_reclaim_kb = 99999999999999999999\n", "agent.conf:2: "},
		{"[directives]\nmax_reclaim_kb = 1125899906842625\n", "outside 0..1099511627776"},
		{"[directives]\nswappiness_max = 201\n", "agent.conf:2: swappiness_max 201 is outside 0..200"},
		{"[directives]\nallowed_modes = normal turbo\n", "agent.conf:2: swap-mode \"turbo\""},
		{"[directives]\nmax_lifetime_s = 0\n", "agent.conf:2: max_lifetime_s 0 is outside"},
		{"[directives]\nbogus = 1\n", "agent.conf:2: unknown key \"bogus\" in [directives]"},
		{"[nope]\nkey = 1\n", "agent.conf:2: unknown section \"nope\""},
		{"honour_dom0 = yes\n", "agent.conf:1: \"honour_dom0\" is outside any [section]"},
		{"[directives]\nthis line has no equals sign\n", "agent.conf:2: expected"},
		{"[directives\nhonour_dom0 = yes\n", "agent.conf:1: expected"},
		{"[directives]\nhonour_dom0 = yes\n  no\n", "agent.conf:3: indented continuation"},
		{"[reclaim]\npsi_stop = 100.01\n", "agent.conf:2: psi_stop"},
		{"[reclaim]\ndrop_caches = yes # why\n", "agent.conf:2: drop_caches \"yes # why\""},
		{"[reclaim]\nstep_kb = 0\n", "agent.conf:2: step_kb 0 is outside"},
		{"[swap]\nfast_devices = zram*\n", "agent.conf:2: fast_devices pattern \"zram*\""},
		{"[report]\nheartbeat_s = 0\n", "agent.conf:2: heartbeat_s"},
		{"[report]\nrate_delta_pps = 1.5\n", "agent.conf:2: rate_delta_pps"},
		{"[xapi]\nenabled = sometimes\n", "agent.conf:2: enabled \"sometimes\" is not yes or no"},
		{"[xapi]\ninterval_s = 9\n", "agent.conf:2: interval_s 9 is outside 10..3600"},
		{"[xapi]\ninterval_s = 3601\n", "agent.conf:2: interval_s 3601 is outside 10..3600"},
		{"[xapi]\ninterval_s = -60\n", "agent.conf:2: interval_s \"-60\""},
		{"[xapi]\nmeminfo = 1\n", "agent.conf:2: unknown key \"meminfo\" in [xapi]"},
		{"[init]\nfollow_balloon = 2\n", "agent.conf:2: follow_balloon \"2\" is not yes or no"},
		{"[init]\nnproc = 1\n", "agent.conf:2: unknown key \"nproc\" in [init]"},
		{"[directives]\nhonour_dom0 = yes\0\n"s, "agent.conf:2: NUL byte"},
		{"[directives]\n# " + std::string(300, 'x') + "\n", "agent.conf:2: line too long"},
		{std::string(70000, '#'), "file too large"},
		{"[directives]\nswappiness_min = 90\nswappiness_max = 80\n",
		 "agent.conf:2: swappiness_min 90 is above swappiness_max 80 (set at "
		 "/etc/xen-memtune/agent.conf:3)"},
		{"[report]\nmin_interval_s = 120\n",
		 "agent.conf:2: min_interval_s 120 is above heartbeat_s 60 (set at built-in default)"},
	};
	for (const auto &[text, needle] : cases) {
		SCOPED_TRACE(needle);
		auto c = parse_one(text);
		ASSERT_FALSE(c);
		EXPECT_NE(c.error().message.find(needle), std::string::npos) << c.error().message;
	}
}

TEST(Config, ErrorInDropInNamesTheDropIn)
{
	auto c = parse_config({
		{main_path, "[directives]\nmax_reclaim_kb = 100\n"},
		{"/etc/xen-memtune/agent.conf.d/10-site.conf", "\n\n\n[swap]\nsafety_margin_kb = lots\n"},
	});
	ASSERT_FALSE(c);
	EXPECT_EQ(c.error().message.rfind("/etc/xen-memtune/agent.conf.d/10-site.conf:5: ", 0), 0u)
		<< c.error().message;
}

TEST(Config, SwapModeWords)
{
	for (auto mode : {SwapMode::normal, SwapMode::prefer_fast, SwapMode::avoid_disk}) {
		auto parsed = parse_swap_mode(to_string(mode));
		ASSERT_TRUE(parsed);
		EXPECT_EQ(*parsed, mode);
	}
	const std::vector<std::string> bad_words = {"", "Normal", "prefer_fast", " normal", "normal ",
				      "avoid-disk\n", "normal\0x"s, std::string(1000, 'n')};
	for (const auto &bad : bad_words)
		EXPECT_FALSE(parse_swap_mode(bad)) << bad;
}

TEST(Config, FastDevicePatterns)
{
	const std::vector<std::string> patterns = {"/dev/zram*", "/dev/nvme0n1p3"};
	EXPECT_TRUE(is_fast_device("/dev/zram0", patterns));
	EXPECT_TRUE(is_fast_device("/dev/zram12", patterns));
	EXPECT_TRUE(is_fast_device("/dev/nvme0n1p3", patterns));
	EXPECT_FALSE(is_fast_device("/dev/xvdb", patterns));
	EXPECT_FALSE(is_fast_device("/dev/zram0/../xvdb", patterns)); // '*' does not cross '/'
	EXPECT_FALSE(is_fast_device("/swapfile", patterns));
	EXPECT_FALSE(is_fast_device("/dev/zram0", {}));
}

} // namespace
} // namespace memtune
