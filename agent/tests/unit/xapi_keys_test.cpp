#include "core/xapi_keys.hpp"

#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace memtune {
namespace {

constexpr std::uint64_t min_interval_ms = 5000;
constexpr std::uint64_t free_delta_kb = 32768;

TEST(XapiKeys, ValuesAreMemTotalAndMemAvailable)
{
	Meminfo m;
	m.mem_total_kb = 2014344;
	m.mem_free_kb = 1200000;
	m.mem_available_kb = 1733120;
	EXPECT_EQ(xapi_values(m), (XapiValues{2014344, 1733120}));
}

TEST(XapiKeys, ShouldWrite)
{
	const XapiPolicy policy; // 60 s
	const XapiValues base{2014344, 1733120};
	struct Case {
		const char *name;
		std::optional<XapiValues> last;
		std::uint64_t last_ms;
		XapiValues current;
		std::uint64_t now_ms;
		bool write;
		std::string why;
		std::uint64_t recheck_at_ms;
	};
	const Case cases[] = {
		{"first", std::nullopt, 0, base, 1000, true, "first write", 61000},
		{"idle inside the interval", base, 1000, base, 30000, false, "no change", 61000},
		{"small move inside the interval", base, 1000, {2014344, 1733120 - 32767}, 30000,
		 false, "no change", 61000},
		{"interval reached", base, 1000, base, 61000, true, "interval", 121000},
		{"interval long past", base, 1000, base, 500000, true, "interval", 560000},
		{"resize", base, 1000, {3063000, 1733120}, 30000, true, "meminfo_total changed",
		 90000},
		{"resize by one kB", base, 1000, {2014343, 1733120}, 30000, true,
		 "meminfo_total changed", 90000},
		{"free dropped by the threshold", base, 1000, {2014344, 1733120 - 32768}, 30000,
		 true, "meminfo_free moved", 90000},
		{"free rose by the threshold", base, 1000, {2014344, 1733120 + 40000}, 30000, true,
		 "meminfo_free moved", 90000},
		{"resize inside the minimum interval", base, 1000, {3063000, 1733120}, 3000, false,
		 "meminfo_total changed, held back by the minimum interval", 6000},
		{"clock went backwards", base, 50000, base, 1000, false, "no change", 110000},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		const auto d = xapi_should_write(c.last, c.last_ms, c.current, c.now_ms, policy,
						 min_interval_ms, free_delta_kb);
		EXPECT_EQ(d.publish, c.write);
		EXPECT_EQ(d.why, c.why);
		EXPECT_EQ(d.recheck_at_ms, c.recheck_at_ms);
	}
}

TEST(XapiKeys, IdleWritesOncePerInterval)
{
	XapiPolicy policy;
	policy.interval_ms = 120000;
	const XapiValues v{1000000, 500000};
	std::optional<XapiValues> last;
	std::uint64_t last_ms = 0, writes = 0;
	// The agent samples every second; one hour of an idle guest.
	for (std::uint64_t now = 0; now < 3600 * 1000; now += 1000) {
		if (xapi_should_write(last, last_ms, v, now, policy, min_interval_ms, free_delta_kb)
			    .publish) {
			last = v;
			last_ms = now;
			writes++;
		}
	}
	EXPECT_EQ(writes, 30u);
}

TEST(XapiKeys, EncodeWritesChangedValuesThenUpdated)
{
	const XapiValues v{2014344, 1733120};
	EXPECT_EQ(encode_xapi_update(std::nullopt, v, "Mon Dec  7 06:29:59 2026"),
		  (KeyValues{{"data/meminfo_total", "2014344"},
			     {"data/meminfo_free", "1733120"},
			     {"data/updated", "Mon Dec  7 06:29:59 2026"}}));
	EXPECT_EQ(encode_xapi_update(v, v, "t"), (KeyValues{{"data/updated", "t"}}));
	EXPECT_EQ(encode_xapi_update(v, XapiValues{2014344, 1}, "t"),
		  (KeyValues{{"data/meminfo_free", "1"}, {"data/updated", "t"}}));
	EXPECT_EQ(encode_xapi_update(v, XapiValues{0, 1733120}, "t"),
		  (KeyValues{{"data/meminfo_total", "0"}, {"data/updated", "t"}}));
}

TEST(XapiKeys, ControlKeys)
{
	EXPECT_EQ(xapi_control_keys(), (KeyValues{{"control/feature-balloon", "1"},
						  {"control/feature-memtune", "1"}}));
}

TEST(XapiKeys, UpdatedIsXapiAgentsDateInUtc)
{
	// Expected texts from `date -u -d @N '+%a %b %e %H:%M:%S %Y'`.
	EXPECT_EQ(format_xapi_updated(0), "Thu Jan  1 00:00:00 1970");
	EXPECT_EQ(format_xapi_updated(1796624999), "Mon Dec  7 06:29:59 2026");
	EXPECT_EQ(format_xapi_updated(1799999999), "Fri Jan 15 07:59:59 2027");
	EXPECT_EQ(format_xapi_updated(4102444800), "Fri Jan  1 00:00:00 2100");
}

} // namespace
} // namespace memtune
