#include "core/arbiter_config.hpp"

#include <string>

#include <gtest/gtest.h>

namespace memtune::arbiter {
namespace {

const std::string main_path = "/etc/xen-memtune/arbiter.conf";

Result<Config> parse_one(const std::string &text)
{
	return parse_config({{main_path, text}});
}

TEST(ArbiterConfig, NoFilesGivesSafeDefaults)
{
	auto c = parse_config({});
	ASSERT_TRUE(c);
	EXPECT_EQ(c->mode, Mode::observe);
	EXPECT_TRUE(c->enabled);
	EXPECT_FALSE(c->rebalance);
	EXPECT_EQ(c->interval_ms, 2000u);
	EXPECT_EQ(c->window_ms, 10000u);
	EXPECT_GT(c->clear_count, c->enter_count);
	EXPECT_GE(c->share_pct, 50u);
}

TEST(ArbiterConfig, ParsesEveryKeyAndDropinsOverride)
{
	auto c = parse_config(
		{{main_path, "[arbiter]\nmode = advise\nenabled = yes\ninterval_s = 1\n"
			     "window_s = 20\nopt_out = db1 db2\n"
			     "[detect]\ndisks = vda sdb\nmin_iops = 10\nmin_kbps = 512\nshare = 75\n"
			     "await_ms = 80\nawait_factor = 5\nutil = 60\nenter = 2\nclear = 6\n"
			     "[remedy]\nhold_s = 20\ndirective_lifetime_s = 60\nack_timeout_s = 5\n"
			     "host_reserve_kb = 1024\ngrant_max_kb = 2048\ngrant_kb = 1024\n"
			     "donor_psi = 2.50\ndonor_margin_kb = 4096\nreclaim_kb = 8192\n"
			     "refault_pps = 50\n"
			     "[rebalance]\nenabled = yes\ndomains = web1\nmin_kb = 65536\n"
			     "headroom = 20\npressure_headroom = 30\npressure_psi = 7.5\n"
			     "min_move_kb = 1024\nmax_move_kb = 4096\ninterval_s = 30\n"
			     "reversal_window_s = 600\nstuck_after_s = 40\n"
			     "[guest]\nstale_s = 90\nmax_seq_rate = 3\n"},
		 {main_path + ".d/10-act.conf", "[arbiter]\nmode = act\n"}});
	ASSERT_TRUE(c) << c.error().message;
	EXPECT_EQ(c->mode, Mode::act);
	EXPECT_EQ(c->interval_ms, 1000u);
	EXPECT_EQ(c->window_ms, 20000u);
	EXPECT_EQ(c->opt_out, (std::vector<std::string>{"db1", "db2"}));
	EXPECT_EQ(c->disks, (std::vector<std::string>{"vda", "sdb"}));
	EXPECT_EQ(c->share_pct, 75u);
	EXPECT_EQ(c->enter_count, 2u);
	EXPECT_EQ(c->clear_count, 6u);
	EXPECT_EQ(c->hold_ms, 20000u);
	EXPECT_EQ(c->ack_timeout_ms, 5000u);
	EXPECT_EQ(c->donor_psi_centi, 250u);
	EXPECT_EQ(c->pressure_psi_centi, 750u);
	EXPECT_TRUE(c->rebalance);
	EXPECT_EQ(c->rebalance_domains, std::vector<std::string>{"web1"});
	EXPECT_EQ(c->rebalance_interval_ms, 30000u);
	EXPECT_EQ(c->reversal_window_ms, 600000u);
	EXPECT_EQ(c->stale_ms, 90000u);
	EXPECT_EQ(c->max_seq_rate, 3u);
}

TEST(ArbiterConfig, RefusesBadValuesWithFileAndLine)
{
	struct Case {
		std::string text;
		std::string says;
	};
	for (const auto &[text, says] : std::vector<Case>{
		     {"[arbiter]\nmode = enforce\n", "arbiter.conf:2: mode \"enforce\""},
		     {"[detect]\nshare = 40\n", "arbiter.conf:2: share 40 is outside 50..100"},
		     {"[detect]\nenter = 5\nclear = 5\n", "clear 5 must be above enter 5"},
		     {"[arbiter]\ninterval_s = 5\nwindow_s = 8\n", "shorter than two intervals"},
		     {"[remedy]\ngrant_kb = 9\ngrant_max_kb = 8\n", "grant_kb 9 is above"},
		     {"[rebalance]\nmin_move_kb = 9\nmax_move_kb = 8\n", "min_move_kb 9"},
		     {"[arbiter]\nopt_out = a\x01\n", "not a domain or device name"},
		     {"[arbiter]\nwindow_s = -1\n", "arbiter.conf:2:"},
		     {"[arbiter]\nwindow_s = 99999999999999999999999\n", "arbiter.conf:2:"},
		     {"[arbiter]\nfrobnicate = 1\n", "unknown key \"frobnicate\" in [arbiter]"},
		     {"[directives]\nhonour_dom0 = yes\n", "unknown section \"directives\""},
		     {"mode = act\n", "outside any [section]"},
	     }) {
		auto c = parse_one(text);
		ASSERT_FALSE(c) << text;
		EXPECT_NE(c.error().message.find(says), std::string::npos)
			<< text << " -> " << c.error().message;
	}
}

} // namespace
} // namespace memtune::arbiter
