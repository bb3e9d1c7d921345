#include "core/report.hpp"

#include <limits>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/config.hpp"
#include "core/number.hpp"

namespace memtune {
namespace {

Meminfo sample_meminfo()
{
	Meminfo m;
	m.mem_total_kb = 998716;
	m.mem_free_kb = 412044;
	m.mem_available_kb = 701308;
	m.active_file_kb = 208388;
	m.inactive_file_kb = 107112;
	m.slab_reclaimable_kb = 34164;
	m.dirty_kb = 528;
	m.writeback_kb = 0;
	m.swap_total_kb = 1572860;
	m.swap_free_kb = 1255420;
	return m;
}

TEST(Report, ReclaimableIsFileLruPlusSlabMinusDirty)
{
	// 208388 + 107112 + 34164 - 528
	EXPECT_EQ(reclaimable_kb(sample_meminfo()), 349136u);
	Meminfo dirty_only;
	dirty_only.active_file_kb = 100;
	dirty_only.dirty_kb = 300;
	EXPECT_EQ(reclaimable_kb(dirty_only), 0u);
}

TEST(Floor, Table)
{
	struct Case {
		const char *name;
		std::uint64_t total, available;
		std::optional<BalloonSample> balloon;
		std::uint64_t margin;
		std::uint64_t floor;
		const char *reason;
	};
	const Case cases[] = {
		// 1 GiB guest: 1048576 - (701308 - 65536)
		{"balloon known", 998716, 701308, BalloonSample{1048576, 1048576}, 65536, 412804,
		 "in use 290 MiB + outside MemTotal 48 MiB + margin 64 MiB"},
		// no balloon: MemTotal stands in for current. 998716 - (701308 - 65536)
		{"balloon unknown", 998716, 701308, std::nullopt, 65536, 362944,
		 "in use 290 MiB + margin 64 MiB"},
		{"no margin", 998716, 701308, std::nullopt, 0, 297408, "in use 290 MiB + margin 0 KiB"},
		{"available below margin", 998716, 40000, BalloonSample{1048576, 1048576}, 65536,
		 1048576, "MemAvailable 39 MiB is within the 64 MiB margin: no room to shrink"},
		{"available equals margin", 998716, 65536, std::nullopt, 65536, 998716,
		 "MemAvailable 64 MiB is within the 64 MiB margin: no room to shrink"},
		// balloon current below MemTotal (a stale sample): available is capped at current.
		{"current below total", 998716, 701308, BalloonSample{600000, 600000}, 65536, 65536,
		 "in use 0 KiB + margin 64 MiB"},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		Meminfo m;
		m.mem_total_kb = c.total;
		m.mem_available_kb = c.available;
		const auto f = estimate_floor(m, c.balloon, c.margin);
		EXPECT_EQ(f.floor_kb, c.floor);
		EXPECT_EQ(f.reason, c.reason);
	}
}

TEST(Report, TargetReachedWithinTolerance)
{
	EXPECT_TRUE(target_reached({1048576, 1048576}));
	EXPECT_TRUE(target_reached({1048576 + 4096, 1048576}));
	EXPECT_TRUE(target_reached({1048576 - 4096, 1048576}));
	EXPECT_FALSE(target_reached({1048576 + 4097, 1048576}));
	EXPECT_FALSE(target_reached({524288, 1048576}));
}

TEST(Report, AssembleAndEncodeEveryContractKey)
{
	ReportInputs in;
	in.meminfo = sample_meminfo();
	in.rates = {12.4, 0.5, 1999.5};
	in.pressure.some = {1234, 500, 120, 99};
	in.pressure.full = {50, 7, 0, 9};
	in.balloon = BalloonSample{1048576, 1048576};
	in.floor_margin_kb = 65536;
	in.swap_fast_total_kb = 262144;
	Report r = assemble_report(in);
	r.seq = 17;
	const KeyValues expected = {
		{"version", "1"},
		{"mem-total-kb", "998716"},
		{"mem-available-kb", "701308"},
		{"reclaimable-kb", "349136"},
		{"swap-total-kb", "1572860"},
		{"swap-used-kb", "317440"},
		{"swap-in-pps", "12"},
		{"swap-out-pps", "1"},
		{"refault-pps", "2000"},
		{"psi-some-avg10", "12.34"},
		{"psi-some-avg60", "5.00"},
		{"psi-full-avg10", "0.50"},
		{"psi-full-avg60", "0.07"},
		{"balloon-current-kb", "1048576"},
		{"balloon-target-kb", "1048576"},
		{"target-reached", "1"},
		{"floor-kb", "412804"},
		{"floor-reason", "in use 290 MiB + outside MemTotal 48 MiB + margin 64 MiB"},
		{"swap-fast-total-kb", "262144"},
		{"seq", "17"},
	};
	EXPECT_EQ(encode_report(r), expected);
}

TEST(Report, EncodeUnknownBalloonAndHostileValues)
{
	Report r;
	r.swap_in_pps = -5;                       // never negative on the wire
	r.swap_out_pps = std::numeric_limits<double>::quiet_NaN();
	r.refault_pps = 1e300;                    // clamped, not UB
	r.psi_some_avg10_centi = 10000;
	r.floor_reason = std::string("bad\n\x01reason") + std::string(500, 'x');
	const auto kv = encode_report(r);
	auto value = [&kv](const std::string &key) {
		for (const auto &[k, v] : kv)
			if (k == key)
				return v;
		ADD_FAILURE() << "no key " << key;
		return std::string();
	};
	EXPECT_EQ(kv.size(), 20u);
	EXPECT_EQ(value("swap-fast-total-kb"), ""); // unknown
	EXPECT_EQ(value("swap-in-pps"), "0");
	EXPECT_EQ(value("swap-out-pps"), "0");
	EXPECT_EQ(value("refault-pps"), "1000000000000000000");
	EXPECT_EQ(value("psi-some-avg10"), "100.00");
	EXPECT_EQ(value("balloon-current-kb"), "");
	EXPECT_EQ(value("balloon-target-kb"), "");
	EXPECT_EQ(value("target-reached"), "");
	EXPECT_EQ(value("floor-reason").size(), 200u);
	EXPECT_EQ(value("floor-reason").substr(0, 8), "bad??rea");
	for (const auto &[k, v] : kv)
		EXPECT_LE(v.size(), 200u) << k; // far below xenstore's 2048-byte node limit
}

std::map<std::string, std::string> as_map(const KeyValues &kv)
{
	return {kv.begin(), kv.end()};
}

Report published_report()
{
	ReportInputs in;
	in.meminfo = sample_meminfo();
	in.rates = {12.4, 0.5, 1999.5};
	in.pressure.some = {1234, 500, 120, 99};
	in.balloon = BalloonSample{1048576, 1048576};
	in.floor_margin_kb = 65536;
	Report r = assemble_report(in);
	r.seq = 17;
	return r;
}

std::vector<std::string> keys_of(const KeyValues &kv)
{
	std::vector<std::string> keys;
	for (const auto &[k, v] : kv)
		keys.push_back(k);
	return keys;
}

TEST(ReportUpdate, WithoutATrustedPreviousEveryKeyIsWrittenSeqLast)
{
	// First publish, and after a reconnect, resume or failed publish, when the agent passes
	// no previous even though it still has the same report.
	Report r = published_report();
	EXPECT_EQ(encode_report_update(std::nullopt, r), encode_report(r));
	Report next = r;
	next.seq = 18;
	const auto writes = encode_report_update(std::nullopt, next);
	EXPECT_EQ(writes.size(), 20u);
	EXPECT_EQ(writes.back(), (std::pair<std::string, std::string>{"seq", "18"}));
}

TEST(ReportUpdate, OnlyChangedKeysThenSeq)
{
	struct Case {
		const char *name;
		void (*change)(Report &);
		std::vector<std::string> keys;
	};
	const Case cases[] = {
		{"nothing moved", [](Report &) {}, {"seq"}},
		{"mem available", [](Report &r) { r.mem_available_kb -= 4096; },
		 {"mem-available-kb", "seq"}},
		{"two keys keep the contract order",
		 [](Report &r) {
			 r.floor_kb += 1;
			 r.swap_used_kb += 1;
		 },
		 {"swap-used-kb", "floor-kb", "seq"}},
		// 12.4 and 12.3 both go out as "12": the value on the wire did not change.
		{"rate moved within its rounding", [](Report &r) { r.swap_in_pps = 12.3; },
		 {"seq"}},
		{"rate moved past its rounding", [](Report &r) { r.swap_in_pps = 13; },
		 {"swap-in-pps", "seq"}},
		{"balloon became unknown", [](Report &r) { r.balloon.reset(); },
		 {"balloon-current-kb", "balloon-target-kb", "target-reached", "seq"}},
		{"balloon moved away from its target",
		 [](Report &r) { r.balloon->current_kb += 8192; },
		 {"balloon-current-kb", "target-reached", "seq"}},
		{"psi some avg10", [](Report &r) { r.psi_some_avg10_centi = 0; },
		 {"psi-some-avg10", "seq"}},
		{"floor reason only", [](Report &r) { r.floor_reason = "in use 1 MiB"; },
		 {"floor-reason", "seq"}},
		{"only seq moved, as on every publish", [](Report &r) { r.seq += 5; }, {"seq"}},
	};
	const Report previous = published_report();
	for (const auto &c : cases) {
		Report current = previous;
		current.seq = previous.seq + 1;
		c.change(current);
		const auto writes = encode_report_update(previous, current);
		EXPECT_EQ(keys_of(writes), c.keys) << c.name;
		// Each value written is the one a full encoding of current has.
		const auto full = as_map(encode_report(current));
		for (const auto &[k, v] : writes)
			EXPECT_EQ(v, full.at(k)) << c.name << ": " << k;
	}
}

struct PublishCase {
	const char *name;
	bool have_last;
	std::uint64_t last_ms, now_ms;
	bool force;
	void (*change)(Report &);
	bool publish;
	const char *why_prefix;
	std::uint64_t recheck_at_ms;
};

TEST(Publish, DecisionTable)
{
	PublishPolicy p; // heartbeat 60 s, min interval 5 s, 32 MiB, 16 MiB swap, 5%, 100 pps
	auto none = [](Report &) {};
	const PublishCase cases[] = {
		{"first report", false, 0, 1000, false, none, true, "first report", 61000},
		{"forced inside min interval", true, 10000, 11000, true, none, true, "forced", 71000},
		{"quiet", true, 10000, 30000, false, none, false, "no meaningful change", 70000},
		{"heartbeat", true, 10000, 70000, false, none, true, "heartbeat", 130000},
		{"small move ignored", true, 10000, 30000, false,
		 [](Report &r) { r.mem_available_kb -= 32767; }, false, "no meaningful", 70000},
		{"MemAvailable moved", true, 10000, 30000, false,
		 [](Report &r) { r.mem_available_kb -= 32768; }, true, "mem-available-kb moved 32 MiB",
		 90000},
		{"held back by min interval", true, 10000, 12000, false,
		 [](Report &r) { r.mem_available_kb -= 65536; }, false, "mem-available-kb moved",
		 15000},
		{"swap used moved", true, 10000, 20000, false,
		 [](Report &r) { r.swap_used_kb += 16384; }, true, "swap-used-kb moved", 80000},
		{"psi rose", true, 10000, 20000, false,
		 [](Report &r) { r.psi_some_avg10_centi += 500; }, true, "psi-some-avg10 moved 5.00",
		 80000},
		{"psi small", true, 10000, 20000, false,
		 [](Report &r) { r.psi_full_avg10_centi += 499; }, false, "no meaningful", 70000},
		{"swap-out started", true, 10000, 20000, false,
		 [](Report &r) { r.swap_out_pps = 5; }, true, "swap-out-pps went from 0 to 5", 80000},
		{"refault jump", true, 10000, 20000, false,
		 [](Report &r) { r.refault_pps += 150; }, true, "refault-pps went", 80000},
		{"balloon target changed", true, 10000, 20000, false,
		 [](Report &r) { r.balloon->target_kb -= 1; }, true, "balloon-target-kb moved", 80000},
		{"balloon vanished", true, 10000, 20000, false,
		 [](Report &r) { r.balloon.reset(); }, true, "balloon disappeared", 80000},
		{"swapon seen", true, 10000, 20000, false,
		 [](Report &r) { r.swap_total_kb += 4; }, true, "swap-total-kb moved", 80000},
		{"clock went backwards", true, 10000, 5000, false,
		 [](Report &r) { r.mem_available_kb -= 65536; }, false, "mem-available-kb", 15000},
	};
	Report base;
	base.mem_total_kb = 1000000;
	base.mem_available_kb = 500000;
	base.balloon = BalloonSample{1048576, 1048576};
	for (const auto &c : cases) {
		SCOPED_TRACE(c.name);
		Report now = base;
		c.change(now);
		const auto d = should_publish(c.have_last ? std::optional<Report>(base) : std::nullopt,
					      c.last_ms, now, c.now_ms, p, c.force);
		EXPECT_EQ(d.publish, c.publish);
		EXPECT_EQ(d.why.rfind(c.why_prefix, 0), 0u) << d.why;
		EXPECT_EQ(d.recheck_at_ms, c.recheck_at_ms);
	}
}

} // namespace
} // namespace memtune

namespace memtune {
namespace {

Report full_report()
{
	Report r;
	r.mem_total_kb = 998716;
	r.mem_available_kb = 701308;
	r.reclaimable_kb = 349136;
	r.swap_total_kb = 1572860;
	r.swap_used_kb = 317440;
	r.swap_in_pps = 12;
	r.swap_out_pps = 1;
	r.refault_pps = 2000;
	r.psi_some_avg10_centi = 1234;
	r.psi_some_avg60_centi = 500;
	r.psi_full_avg10_centi = 50;
	r.psi_full_avg60_centi = 7;
	r.balloon = BalloonSample{1048576, 1044480};
	r.floor_kb = 412804;
	r.floor_reason = "in use 290 MiB + margin 64 MiB";
	r.swap_fast_total_kb = 262144;
	r.seq = 99;
	return r;
}

TEST(ReportDecode, RoundTrip)
{
	const Report r = full_report();
	auto back = decode_report(as_map(encode_report(r)));
	ASSERT_TRUE(back) << back.error().message;
	EXPECT_EQ(encode_report(*back), encode_report(r));
	EXPECT_EQ(back->mem_available_kb, 701308u);
	EXPECT_EQ(back->balloon->target_kb, 1044480u);
	EXPECT_DOUBLE_EQ(back->refault_pps, 2000.0);

	Report no_balloon = r;
	no_balloon.balloon.reset();
	auto back2 = decode_report(as_map(encode_report(no_balloon)));
	ASSERT_TRUE(back2) << back2.error().message;
	EXPECT_FALSE(back2->balloon);
}

TEST(ReportDecode, RefusesForgedOrBrokenReports)
{
	using namespace std::string_literals;
	const std::pair<std::string, std::string> edits[] = {
		{"version", "2"},
		{"version", ""},
		{"version", "01"},
		{"mem-total-kb", "-1"},
		{"mem-total-kb", " 998716"},
		{"mem-total-kb", "18446744073709551616"},
		{"mem-total-kb", "1"},                       // below mem-available-kb
		{"swap-total-kb", "0"},                      // below swap-used-kb
		{"swap-used-kb", "lots"},
		{"swap-in-pps", "1.5"},
		{"refault-pps", "+3"},
		{"psi-some-avg10", "100.01"},
		{"psi-full-avg60", "nan"},
		{"balloon-current-kb", ""},                  // half the balloon keys
		{"target-reached", "yes"},
		{"floor-kb", "1\0"s},
		{"seq", std::string(3000, '9')},
		{"swap-fast-total-kb", "-1"},
		{"swap-fast-total-kb", "2000000"},          // above swap-total-kb
	};
	for (const auto &[key, value] : edits) {
		SCOPED_TRACE(key + "=" + quote_for_message(value));
		auto values = as_map(encode_report(full_report()));
		values[key] = value;
		EXPECT_FALSE(decode_report(values));
	}
	auto values = as_map(encode_report(full_report()));
	values.erase("floor-kb");
	auto missing = decode_report(values);
	ASSERT_FALSE(missing);
	EXPECT_EQ(missing.error().message, "report has no floor-kb");
}

TEST(ReportDecode, FastSwapIsOptional)
{
	// A version-1 writer from before the key, or one that could not read /proc/swaps.
	auto values = as_map(encode_report(full_report()));
	values.erase("swap-fast-total-kb");
	auto old = decode_report(values);
	ASSERT_TRUE(old) << old.error().message;
	EXPECT_FALSE(old->swap_fast_total_kb);
	values["swap-fast-total-kb"] = "";
	EXPECT_FALSE(decode_report(values)->swap_fast_total_kb);
	values["swap-fast-total-kb"] = "65536";
	EXPECT_EQ(decode_report(values)->swap_fast_total_kb, 65536u);
}

TEST(Report, FastSwapCountsTheFastDevicesOnly)
{
	const std::vector<SwapDevice> devices = {{"/dev/zram0", "partition", 262144, 0, 100},
						 {"/dev/xvdb", "partition", 1048572, 0, -2},
						 {"/dev/zram1", "partition", 65536, 10, 5}};
	EXPECT_EQ(fast_swap_kb(devices, {"/dev/zram*"}), 327680u);
	EXPECT_EQ(fast_swap_kb(devices, {"/dev/xvd*", "/dev/zram1"}), 1114108u);
	EXPECT_EQ(fast_swap_kb(devices, {}), 0u);
	EXPECT_EQ(fast_swap_kb({}, {"/dev/zram*"}), 0u);
}

TEST(ReportDecode, ReasonIsSanitisedAndExtraKeysIgnored)
{
	auto values = as_map(encode_report(full_report()));
	values["floor-reason"] = "\x1b[31mred" + std::string(1000, 'x');
	values["kmod"] = "a directory the module owns";
	auto r = decode_report(values);
	ASSERT_TRUE(r) << r.error().message;
	EXPECT_EQ(r->floor_reason.substr(0, 8), "?[31mred");
	EXPECT_EQ(r->floor_reason.size(), 200u);
}

} // namespace
} // namespace memtune
