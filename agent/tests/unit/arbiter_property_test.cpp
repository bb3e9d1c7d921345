// Properties of the arbiter over generated traces: random hosts, guests whose I/O, pressure
// and memory use change every interval, rogues that come and go, guests that do not answer or
// do not follow their target, and hostile guests whose reports are garbage, disagree with Xen,
// flood, or answer with absurd acks. Every executed action of every step is checked.
#include <algorithm>
#include <map>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "arbiter_sim.hpp"
#include "core/arbiter.hpp"

namespace memtune::arbiter {
namespace {

using testing::Sim;
using testing::SimGuest;

constexpr std::uint64_t mib = 1024;
constexpr int traces = 150;
constexpr int steps = 250;

enum class Hostility { none, garbage, inconsistent, flooding, absurd_ack };

struct TraceOptions {
	std::uint32_t seed = 0;
	// The hostile guest publishes nothing at all (the run it is compared with).
	bool silence_hostile = false;
};

struct Trace {
	Sim sim;
	std::map<std::uint32_t, Hostility> hostility;
	std::vector<std::vector<Action>> actions; // per step
	std::vector<std::uint64_t> target_sums;   // Dom0 + every target, after each step
	std::vector<std::map<std::uint32_t, std::uint64_t>> floors; // published in each step
};

std::string garbage(std::mt19937 &rng)
{
	static const std::string pool[] = {"", " ", "-1", "+5", "1e9", "0x10", "99999999999999999999999",
					   "12.345", "abc", std::string("1\0" "2", 3), "NaN",
					   std::string(3000, '9'), "\xff\xfe", "100.01"};
	return pool[rng() % std::size(pool)];
}

Values garbage_report(std::mt19937 &rng, const Report &honest)
{
	Values v;
	for (auto &[k, val] : encode_report(honest))
		v[k] = val;
	// Spoil one to three numeric keys (version and seq included) so that none of them
	// parses, the rest stays plausible; or drop a key.
	const int spoil = 1 + static_cast<int>(rng() % 3);
	bool spoiled = false;
	for (int i = 0; i < spoil; i++) {
		auto it = v.begin();
		std::advance(it, rng() % v.size());
		// Free text, and a key that may be missing or empty: changing them spoils nothing.
		if (it->first == "floor-reason" || it->first == "swap-fast-total-kb")
			continue;
		spoiled = true;
		if (rng() % 8 == 0)
			v.erase(it);
		else
			it->second = garbage(rng) + "x"; // never a number
	}
	if (!spoiled)
		v["version"] = rng() % 2 ? "2" : "x";
	return v;
}

Trace run_trace(const TraceOptions &options)
{
	std::mt19937 rng(options.seed);
	auto uniform = [&rng](std::uint64_t lo, std::uint64_t hi) {
		return lo + rng() % (hi - lo + 1);
	};
	Trace t;
	Sim &sim = t.sim;
	Config &c = sim.config;
	c.mode = Mode::act;
	c.rebalance = rng() % 4 != 0;
	c.rebalance_interval_ms = uniform(1, 10) * 2000;
	c.reversal_window_ms = uniform(30, 300) * 1000;
	c.hold_ms = uniform(2, 20) * 1000;
	c.enter_count = static_cast<std::uint32_t>(uniform(1, 4));
	c.clear_count = c.enter_count + static_cast<std::uint32_t>(uniform(1, 6));
	c.min_move_kb = uniform(0, 128) * mib;
	c.max_move_kb = std::max<std::uint64_t>(c.min_move_kb, uniform(32, 512) * mib);
	c.stuck_after_ms = uniform(4, 40) * 1000;

	const int n = static_cast<int>(uniform(2, 5));
	std::uint64_t total = sim.dom0_kb;
	for (int i = 1; i <= n; i++) {
		const std::uint64_t kb = uniform(128, 2048) * mib;
		auto &g = sim.add(static_cast<std::uint32_t>(i), "g" + std::to_string(i), kb,
				  kb + uniform(0, 2048) * mib);
		g.rebalance = rng() % 3 != 0;
		g.answers = rng() % 5 != 0;
		g.follows_target = rng() % 6 != 0;
		total += kb;
	}
	sim.host_total_kb = total + uniform(0, 2048) * mib;
	// One guest in three traces is hostile.
	std::uint32_t hostile = 0;
	Hostility kind = Hostility::none;
	if (options.seed % 3 == 0) {
		hostile = static_cast<std::uint32_t>(uniform(1, n));
		kind = static_cast<Hostility>(uniform(1, 4));
		t.hostility[hostile] = kind;
	}

	std::uint32_t rogue = 0;
	for (int s = 0; s < steps; s++) {
		if (rng() % 40 == 0)
			rogue = rng() % 2 ? static_cast<std::uint32_t>(uniform(1, n)) : 0;
		for (auto &g : sim.guests) {
			const bool is_rogue = g.domid == rogue;
			g.rps = is_rogue ? static_cast<double>(uniform(40, 250))
					 : static_cast<double>(uniform(0, 30));
			g.kbps = g.rps * static_cast<double>(uniform(4, 64));
			Report &r = g.report;
			r.mem_total_kb = g.current_kb > 20 * mib ? g.current_kb - 20 * mib : g.current_kb;
			const std::uint64_t used = r.mem_total_kb * uniform(10, 100) / 100;
			r.mem_available_kb = r.mem_total_kb - used;
			r.floor_kb = std::min(g.current_kb, used + 64 * mib);
			r.psi_some_avg10_centi = static_cast<std::uint32_t>(uniform(0, 1) ? uniform(0, 6000) : 0);
			r.swap_in_pps = is_rogue ? static_cast<double>(uniform(0, 3000)) : 0;
			r.swap_out_pps = is_rogue ? static_cast<double>(uniform(0, 3000)) : 0;
			r.refault_pps = static_cast<double>(uniform(0, 1) ? uniform(0, 4000) : 0);
			r.swap_used_kb = std::min<std::uint64_t>(r.swap_total_kb, uniform(0, 1024) * mib);
			// Hostile inputs are drawn in every run, so both runs of a comparison see the
			// same random stream.
			Values bad = garbage_report(rng, r);
			Values inconsistent;
			Report lie = r;
			lie.mem_total_kb = g.static_max_kb + uniform(1, 1024) * mib;
			lie.mem_available_kb = 0;
			lie.seq = r.seq + 1;
			for (auto &[k, val] : encode_report(lie))
				inconsistent[k] = val;
			if (g.domid != hostile)
				continue;
			g.publishes = !options.silence_hostile;
			switch (kind) {
			case Hostility::garbage:
				g.raw_report = bad;
				break;
			case Hostility::inconsistent:
				g.raw_report = inconsistent;
				break;
			case Hostility::flooding:
				r.seq += 1000;
				break;
			case Hostility::absurd_ack:
				g.ack = {{"seq", rng() % 2 ? "18446744073709551615" : garbage(rng)},
					 {"result", garbage(rng)}};
				break;
			case Hostility::none:
				break;
			}
		}
		const bool harm = rogue != 0 && rng() % 5 != 0;
		sim.disk_await_ms = harm ? static_cast<double>(uniform(150, 700))
					 : static_cast<double>(uniform(1, 20));
		sim.disk_util_pct = harm ? static_cast<double>(uniform(75, 95))
					 : static_cast<double>(uniform(5, 50));
		sim.disk_iops = static_cast<double>(uniform(10, 120));
		std::map<std::uint32_t, std::uint64_t> floors;
		for (const auto &g : sim.guests)
			floors[g.domid] = g.report.floor_kb;
		t.floors.push_back(std::move(floors));
		t.actions.push_back(sim.run());
		std::uint64_t sum = sim.dom0_kb;
		for (const auto &g : sim.guests)
			sum += g.target_kb;
		t.target_sums.push_back(sum);
	}
	return t;
}

std::string where(std::uint32_t seed, std::size_t step, const Action &a)
{
	return "seed " + std::to_string(seed) + " step " + std::to_string(step) + " " + a.what +
	       " dom " + std::to_string(a.domid) + ": " + a.reason;
}

TEST(ArbiterProperty, BoundsHoldOnEveryStep)
{
	// The traces must exercise what is checked: counted over all of them.
	std::map<std::string, int> seen;
	for (std::uint32_t seed = 1; seed <= traces; seed++) {
		Trace t = run_trace({seed});
		Sim replay; // for the clock the trace started from
		std::map<std::uint32_t, std::uint64_t> last_seq;
		std::map<std::uint32_t, std::vector<std::pair<std::uint64_t, int>>> moves;
		std::uint64_t now_s = replay.now_s, now_ms = replay.now_ms;
		for (std::size_t s = 0; s < t.actions.size(); s++) {
			now_s += t.sim.config.interval_ms / 1000;
			now_ms += t.sim.config.interval_ms;
			for (const auto &a : t.actions[s]) {
				ASSERT_NE(a.domid, 0u) << where(seed, s, a);
				seen[a.what]++;
				if (!a.execute)
					continue;
				if (a.kind == ActionKind::directive) {
					// Directives always expire, and soon.
					ASSERT_GT(a.expires_s, now_s) << where(seed, s, a);
					ASSERT_LE(a.expires_s, now_s + t.sim.config.directive_lifetime_s)
						<< where(seed, s, a);
					ASSERT_GT(a.seq, last_seq[a.domid]) << where(seed, s, a);
					last_seq[a.domid] = a.seq;
				}
				if (a.kind == ActionKind::set_target) {
					const auto &g = t.sim.guest(a.domid);
					ASSERT_LE(a.target_kb, g.static_max_kb) << where(seed, s, a);
					if (a.target_kb < a.old_target_kb) {
						ASSERT_GE(a.target_kb, std::min(a.old_target_kb,
										t.sim.config.min_kb))
							<< where(seed, s, a);
					}
					moves[a.domid].emplace_back(now_ms, a.target_kb > a.old_target_kb ? 1 : -1);
				}
			}
		}
		// No oscillation: at most one change of direction per domain in any window.
		for (const auto &[domid, list] : moves) {
			std::vector<std::uint64_t> reversals;
			for (std::size_t i = 1; i < list.size(); i++)
				if (list[i].second != list[i - 1].second)
					reversals.push_back(list[i].first);
			for (std::size_t i = 1; i < reversals.size(); i++)
				ASSERT_GE(reversals[i] - reversals[i - 1], t.sim.config.reversal_window_ms)
					<< "seed " << seed << " dom " << domid;
		}
	}
}

TEST(ArbiterProperty, FloorsAndHostMemoryHoldOnEveryStep)
{
	for (std::uint32_t seed = 1; seed <= traces; seed++) {
		Trace t = run_trace({seed});
		for (std::size_t s = 0; s < t.actions.size(); s++) {
			// Xen's targets never promise more than the host has.
			ASSERT_LE(t.target_sums[s], t.sim.host_total_kb) << "seed " << seed << " step " << s;
			for (const auto &a : t.actions[s]) {
				if (!a.execute || a.kind != ActionKind::set_target ||
				    a.target_kb >= a.old_target_kb || t.hostility.count(a.domid))
					continue;
				// An honest guest is never shrunk below the floor it published in that
				// step (or below where it already was).
				const auto floor = t.floors[s].at(a.domid);
				ASSERT_GE(a.target_kb, std::min(a.old_target_kb, floor))
					<< where(seed, s, a);
			}
		}
	}
}

TEST(ArbiterProperty, AHostileReportNeverMovesMemory)
{
	int compared = 0;
	for (std::uint32_t seed = 3; seed <= 3 * traces; seed += 3) {
		Trace hostile = run_trace({seed});
		const auto kind = hostile.hostility.begin()->second;
		if (kind != Hostility::garbage && kind != Hostility::inconsistent)
			continue;
		Trace silent = run_trace({seed, true});
		compared++;
		for (std::size_t s = 0; s < hostile.actions.size(); s++) {
			std::vector<std::tuple<std::uint32_t, std::uint64_t, std::uint64_t>> a, b;
			for (const auto &x : hostile.actions[s])
				if (x.execute && x.kind == ActionKind::set_target)
					a.emplace_back(x.domid, x.old_target_kb, x.target_kb);
			for (const auto &x : silent.actions[s])
				if (x.execute && x.kind == ActionKind::set_target)
					b.emplace_back(x.domid, x.old_target_kb, x.target_kb);
			ASSERT_EQ(a, b) << "seed " << seed << " step " << s;
		}
		const auto domid = hostile.hostility.begin()->first;
		EXPECT_GT(hostile.sim.state.domains[domid].bad_reports, 0u) << "counted";
	}
	EXPECT_GT(compared, 10);
}

} // namespace
} // namespace memtune::arbiter
