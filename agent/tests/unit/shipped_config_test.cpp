// The example configs shipped in agent/conf/ (agent.conf and arbiter.conf, installed as examples
// for /etc/xen-memtune/) must parse, and must say what the built-in defaults are, as their
// headers promise.
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "core/arbiter_config.hpp"
#include "core/config.hpp"

namespace memtune {
namespace {

TEST(Config, ShippedExampleParsesToTheDefaults)
{
	std::ifstream file(MEMTUNE_SHIPPED_CONFIG);
	ASSERT_TRUE(file) << MEMTUNE_SHIPPED_CONFIG;
	std::stringstream text;
	text << file.rdbuf();
	auto parsed = parse_config({{MEMTUNE_SHIPPED_CONFIG, text.str()}});
	ASSERT_TRUE(parsed) << parsed.error().message;
	const Config defaults;
	const Config &c = *parsed;
	EXPECT_EQ(c.honour_dom0, defaults.honour_dom0);
	EXPECT_EQ(c.allowed_modes, defaults.allowed_modes);
	EXPECT_EQ(c.max_reclaim_kb, defaults.max_reclaim_kb);
	EXPECT_EQ(c.swappiness_min, defaults.swappiness_min);
	EXPECT_EQ(c.swappiness_max, defaults.swappiness_max);
	EXPECT_EQ(c.max_lifetime_s, defaults.max_lifetime_s);
	EXPECT_EQ(c.drop_caches_allowed, defaults.drop_caches_allowed);
	EXPECT_EQ(c.reclaim_step_kb, defaults.reclaim_step_kb);
	EXPECT_EQ(c.reclaim_psi_stop_centi, defaults.reclaim_psi_stop_centi);
	EXPECT_EQ(c.swap_safety_margin_kb, defaults.swap_safety_margin_kb);
	EXPECT_EQ(c.fast_device_patterns, defaults.fast_device_patterns);
	EXPECT_EQ(c.publish.heartbeat_ms, defaults.publish.heartbeat_ms);
	EXPECT_EQ(c.publish.min_interval_ms, defaults.publish.min_interval_ms);
	EXPECT_EQ(c.publish.mem_delta_kb, defaults.publish.mem_delta_kb);
	EXPECT_EQ(c.publish.swap_delta_kb, defaults.publish.swap_delta_kb);
	EXPECT_EQ(c.publish.psi_delta_centi, defaults.publish.psi_delta_centi);
	EXPECT_EQ(c.publish.rate_delta_pps, defaults.publish.rate_delta_pps);
	EXPECT_EQ(c.xapi.enabled, defaults.xapi.enabled);
	EXPECT_EQ(c.xapi.interval_ms, defaults.xapi.interval_ms);
	EXPECT_EQ(c.init_limits_follow, defaults.init_limits_follow);
	EXPECT_EQ(c.init_limits_restore_on_stop, defaults.init_limits_restore_on_stop);
	EXPECT_EQ(c.floor_margin_kb, defaults.floor_margin_kb);
	EXPECT_EQ(c.metrics_listen, defaults.metrics_listen);
}

TEST(ArbiterConfig, ShippedExampleParsesToTheDefaults)
{
	std::ifstream file(MEMTUNE_SHIPPED_ARBITER_CONFIG);
	ASSERT_TRUE(file) << MEMTUNE_SHIPPED_ARBITER_CONFIG;
	std::stringstream text;
	text << file.rdbuf();
	auto parsed = arbiter::parse_config({{MEMTUNE_SHIPPED_ARBITER_CONFIG, text.str()}});
	ASSERT_TRUE(parsed) << parsed.error().message;
	EXPECT_TRUE(*parsed == arbiter::Config{});
	// And a change is seen: the comparison is not vacuous.
	auto changed = arbiter::parse_config({{MEMTUNE_SHIPPED_ARBITER_CONFIG, text.str()},
					      {"10-act.conf", "[arbiter]\nmode = act\n"}});
	ASSERT_TRUE(changed);
	EXPECT_FALSE(*changed == arbiter::Config{});
}

} // namespace
} // namespace memtune
