#include "core/arbiter.hpp"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "arbiter_sim.hpp"

namespace memtune::arbiter {
namespace {

using testing::Sim;

constexpr std::uint64_t mib = 1024;

// The rig's three guests (rogue-swapper-rig.md): a rogue, a neighbour probing its disk, an
// idle donor with slack. Act mode; free memory above the reserve by default.
Sim rig()
{
	Sim sim;
	sim.config.mode = Mode::act;
	auto &rogue = sim.add(1, "rogue", 256 * mib, 1024 * mib);
	rogue.report.swap_used_kb = 300 * mib;
	auto &neighbour = sim.add(2, "neighbour", 512 * mib, 1024 * mib);
	neighbour.rps = 20;
	neighbour.kbps = 80;
	auto &donor = sim.add(3, "donor", 1024 * mib, 1024 * mib);
	donor.report = testing::quiet_report(1000 * mib, 800 * mib, 200 * mib);
	donor.report.balloon = BalloonSample{1024 * mib, 1024 * mib};
	return sim;
}

// The rogue swaps to the shared disk and the disk suffers (the rig at 100 IOPS: 490-625 ms
// write await, 85-90 % busy).
void rogue_starts(Sim &sim)
{
	auto &rogue = sim.guest(1);
	rogue.rps = 80;
	rogue.kbps = 3000;
	rogue.report.swap_out_pps = 2500;
	rogue.report.swap_in_pps = 1500;
	sim.disk_await_ms = 500;
	sim.disk_util_pct = 88;
	sim.disk_iops = 100;
}

void rogue_stops(Sim &sim)
{
	auto &rogue = sim.guest(1);
	rogue.rps = 0;
	rogue.kbps = 0;
	rogue.report.swap_out_pps = 0;
	rogue.report.swap_in_pps = 0;
	sim.disk_await_ms = 4;
	sim.disk_util_pct = 20;
	sim.disk_iops = 20;
}

std::vector<Action> of(const std::vector<Action> &actions, const std::string &what)
{
	std::vector<Action> out;
	std::copy_if(actions.begin(), actions.end(), std::back_inserter(out),
		     [&what](const Action &a) { return a.what == what; });
	return out;
}

TEST(Arbiter, DetectsTheRogueAfterEnterEvaluations)
{
	Sim sim = rig();
	sim.run(3); // a healthy baseline
	rogue_starts(sim);
	// The window mixes healthy and harmed intervals at first; the rogue is named only once
	// `enter` evaluations in a row show it.
	int detected_at = 0;
	for (int i = 1; i <= 10 && !detected_at; i++)
		if (!of(sim.run(), "detected").empty())
			detected_at = i;
	EXPECT_GE(detected_at, static_cast<int>(sim.config.enter_count));
	EXPECT_LE(detected_at, static_cast<int>(sim.config.enter_count) + 2);
	ASSERT_TRUE(sim.state.rogue);
	EXPECT_EQ(*sim.state.rogue, 1u);
	ASSERT_EQ(sim.guest(1).directives.size(), 1u);
	const Action &d = sim.guest(1).directives[0];
	EXPECT_EQ(d.swap_mode, SwapMode::prefer_fast);
	EXPECT_EQ(d.expires_s, sim.now_s + sim.config.directive_lifetime_s);
	EXPECT_EQ(d.seq, 1u);
	// Neighbours are never touched by the swap ladder.
	EXPECT_TRUE(sim.guest(2).directives.empty());
}

TEST(Arbiter, NoFastSwapGoesStraightToAvoidDisk)
{
	Sim sim = rig();
	sim.guest(1).report.swap_fast_total_kb = 0;
	rogue_starts(sim);
	sim.run(8);
	ASSERT_FALSE(sim.guest(1).directives.empty());
	EXPECT_EQ(sim.guest(1).directives[0].swap_mode, SwapMode::avoid_disk);
	// Unknown (an older agent) or some fast swap: prefer-fast first.
	using Kb = std::optional<std::uint64_t>;
	for (Kb fast : {Kb{}, Kb{65536}}) {
		Sim other = rig();
		other.guest(1).report.swap_fast_total_kb = fast;
		rogue_starts(other);
		other.run(8);
		ASSERT_FALSE(other.guest(1).directives.empty());
		EXPECT_EQ(other.guest(1).directives[0].swap_mode, SwapMode::prefer_fast);
	}
}

TEST(Arbiter, BusyButHealthyDiskIsNoRogue)
{
	// 300 IOPS in the rig: the rogue dominates but the neighbour does not suffer.
	Sim sim = rig();
	rogue_starts(sim);
	sim.disk_await_ms = 12;
	sim.disk_util_pct = 35;
	EXPECT_TRUE(of(sim.run(20), "detected").empty());
	EXPECT_FALSE(sim.state.rogue);
}

TEST(Arbiter, HarmWithoutADominantDomainIsNoRogue)
{
	Sim sim = rig();
	rogue_starts(sim);
	sim.guest(2).rps = 80;
	sim.guest(2).kbps = 3000;
	EXPECT_TRUE(of(sim.run(20), "detected").empty());
}

TEST(Arbiter, HostPressureIoIsNotRequired)
{
	// Dom0's /proc/pressure/io never moved in the rig; the Sample has no such field, and
	// Dom0's memory PSI at zero does not stop detection.
	Sim sim = rig();
	rogue_starts(sim);
	EXPECT_FALSE(of(sim.run(8), "detected").empty());
}

TEST(Arbiter, EscalatesToAvoidDiskAfterTheHold)
{
	Sim sim = rig();
	rogue_starts(sim);
	while (of(sim.run(), "detected").empty())
		ASSERT_LT(sim.now_ms, 2000000u);
	ASSERT_EQ(sim.guest(1).directives.size(), 1u);
	const auto holds = static_cast<int>(sim.config.hold_ms / sim.config.interval_ms);
	sim.run(holds - 1);
	EXPECT_EQ(sim.guest(1).directives.size(), 1u) << "held for hold_s";
	sim.run(1);
	ASSERT_EQ(sim.guest(1).directives.size(), 2u);
	EXPECT_EQ(sim.guest(1).directives[1].swap_mode, SwapMode::avoid_disk);
	EXPECT_EQ(sim.guest(1).directives[1].seq, 2u);
}

// The rig (arbiter-rogue): once prefer-fast took, the rogue wrote nothing more to its disk but
// read its swapped-out pages back, 40-80 requests/s for a minute. That is no reason for
// avoid-disk, whose swapoff would read the same pages all at once; writes coming back are.
TEST(Arbiter, ReadingItsPagesBackAfterPreferFastHoldsTheLadder)
{
	Sim sim = rig();
	rogue_starts(sim);
	for (int i = 0; i < 10 && sim.guest(1).directives.empty(); i++)
		sim.run();
	ASSERT_EQ(sim.guest(1).directives.size(), 1u);
	ASSERT_EQ(sim.guest(1).directives[0].swap_mode, SwapMode::prefer_fast);
	// It took at once (the rig: acknowledged within 2-4 s).
	auto &rogue = sim.guest(1);
	rogue.rps = rogue.kbps = 0;
	rogue.read_rps = 80;
	rogue.read_kbps = 2400;
	rogue.report.swap_out_pps = 0;
	auto actions = sim.run(30);
	EXPECT_TRUE(of(actions, "avoid-disk").empty());
	EXPECT_TRUE(of(actions, "unresolved").empty());
	EXPECT_FALSE(of(actions, "renew").empty()) << "prefer-fast kept while it is the rogue";
	ASSERT_TRUE(sim.state.rogue);
	// Writes again (zram full, or the guest undid it): the next step after the hold.
	rogue.rps = 40;
	rogue.kbps = 3000;
	actions = sim.run(static_cast<int>(sim.config.hold_ms / sim.config.interval_ms) + 6);
	ASSERT_EQ(of(actions, "avoid-disk").size(), 1u);
	EXPECT_NE(of(actions, "avoid-disk")[0].reason.find("still writing"), std::string::npos);
}

// refault-pps counts anon refaults: a guest swapping hard refaults about every page it swaps in
// (the rig's rogue: 382 refaults/s at 379 swap-ins/s), which is no pressure on file pages.
TEST(Arbiter, SwapInRefaultsAreNoFilePressure)
{
	for (double refaults : {382.0, 578.0, 580.0}) {
		Sim sim = rig();
		rogue_starts(sim);
		sim.guest(1).report.swap_in_pps = 379;
		sim.guest(1).report.refault_pps = refaults;
		auto actions = sim.run(40);
		ASSERT_EQ(of(actions, "avoid-disk").size(), 1u);
		// refault_pps = 200 beyond the swap-ins.
		EXPECT_EQ(of(actions, "reclaim").size(), refaults >= 579 ? 1u : 0u) << refaults;
	}
}

TEST(Arbiter, ReclaimOnlyWhenThePressureIsOnFilePages)
{
	for (bool file : {false, true}) {
		Sim sim = rig();
		rogue_starts(sim);
		if (file)
			sim.guest(1).report.refault_pps = 3000;
		auto actions = sim.run(40);
		EXPECT_EQ(of(actions, "reclaim").size(), file ? 1u : 0u) << "file " << file;
		EXPECT_EQ(of(actions, "unresolved").size(), 1u) << "reported once, file " << file;
		if (file) {
			ASSERT_FALSE(of(actions, "reclaim").empty());
			EXPECT_EQ(of(actions, "reclaim")[0].reclaim_kb, sim.config.reclaim_kb);
		}
	}
}

TEST(Arbiter, GrantsMemoryFromFreeAboveTheReserve)
{
	Sim sim = rig();
	rogue_starts(sim);
	auto grants = of(sim.run(8), "grant");
	ASSERT_EQ(grants.size(), 1u);
	// It swapped 300 MiB: that much more, within static-max and host free.
	EXPECT_EQ(grants[0].target_kb, (256 + 300) * mib);
	EXPECT_TRUE(grants[0].execute);
	EXPECT_EQ(sim.guest(1).target_kb, (256 + 300) * mib);
}

TEST(Arbiter, ShrinksADonorWhenTheHostHasNoFreeMemory)
{
	Sim sim = rig();
	sim.host_total_kb = sim.dom0_kb + (256 + 512 + 1024) * mib + sim.config.host_reserve_kb;
	sim.guest(2).report.psi_some_avg10_centi = 2500; // the neighbour is under pressure
	rogue_starts(sim);
	auto actions = sim.run(12);
	auto donations = of(actions, "donate");
	ASSERT_FALSE(donations.empty());
	EXPECT_EQ(donations[0].domid, 3u);
	// Never below its floor plus the margin.
	EXPECT_GE(donations[0].target_kb, 200 * mib + sim.config.donor_margin_kb);
	// The coordinated shrink: page cache first, then the balloon.
	auto reclaims = of(actions, "donor-reclaim");
	ASSERT_FALSE(reclaims.empty());
	EXPECT_LT(&*std::find_if(actions.begin(), actions.end(),
				 [](const Action &a) { return a.what == "donor-reclaim"; }),
		  &*std::find_if(actions.begin(), actions.end(),
				 [](const Action &a) { return a.what == "donate"; }));
	// The memory the donor gave reaches the rogue in a later step.
	EXPECT_FALSE(of(actions, "grant").empty());
	// The neighbour under pressure is not a donor.
	for (const auto &a : donations)
		EXPECT_NE(a.domid, 2u);
}

TEST(Arbiter, DonorWithTheMostSlackGivesFirst)
{
	Sim sim = rig();
	sim.host_total_kb = sim.dom0_kb + (256 + 512 + 1024) * mib + sim.config.host_reserve_kb;
	rogue_starts(sim);
	auto donations = of(sim.run(12), "donate");
	ASSERT_FALSE(donations.empty());
	EXPECT_EQ(donations[0].domid, 3u);
}

TEST(Arbiter, NeighbourUnderPressureIsNoDonor)
{
	Sim sim = rig();
	sim.host_total_kb = sim.dom0_kb + (256 + 512 + 1024) * mib + sim.config.host_reserve_kb;
	sim.guest(2).report.psi_some_avg10_centi = 2500;
	sim.guest(3).report.psi_some_avg10_centi = 2500;
	rogue_starts(sim);
	EXPECT_TRUE(of(sim.run(12), "donate").empty());
}

TEST(Arbiter, ClearsOnlyAfterStayingQuietLongerThanItTookToEnter)
{
	Sim sim = rig();
	rogue_starts(sim);
	sim.run(8);
	ASSERT_TRUE(sim.state.rogue);
	rogue_stops(sim);
	// The window still holds rogue I/O for window/interval evaluations, then `clear` quiet.
	const int window_steps = static_cast<int>(sim.config.window_ms / sim.config.interval_ms);
	sim.run(static_cast<int>(sim.config.clear_count));
	EXPECT_TRUE(sim.state.rogue) << "not cleared before clear quiet evaluations";
	auto actions = sim.run(window_steps + 1);
	EXPECT_FALSE(sim.state.rogue);
	EXPECT_EQ(of(actions, "cleared").size(), 1u);
	// Swap is given back to the guest once it no longer swaps.
	auto normal = of(actions, "normal");
	ASSERT_EQ(normal.size(), 1u);
	EXPECT_EQ(normal[0].swap_mode, SwapMode::normal);
}

TEST(Arbiter, RemedyEndsWhenTheGuestStopsReportingAndGoesQuiet)
{
	Sim sim = rig();
	rogue_starts(sim);
	sim.run(8);
	ASSERT_EQ(sim.state.domains[1].stage, Stage::prefer_fast);
	rogue_stops(sim);
	sim.guest(1).raw_report = Values{{"version", "x"}};
	auto actions = sim.run(20);
	EXPECT_FALSE(sim.state.rogue);
	EXPECT_EQ(sim.state.domains[1].stage, Stage::none);
	// No renewal without a report to trust: the last directive lapses by its expiry.
	EXPECT_TRUE(of(actions, "renew").empty());
}

TEST(Arbiter, RenewsItsDirectiveWhileNeeded)
{
	Sim sim = rig();
	rogue_starts(sim);
	sim.config.hold_ms = 600000; // stay on prefer-fast
	auto actions = sim.run(60); // 120 s
	auto renewals = of(actions, "renew");
	// Lifetime 30 s, renewed at half of it: about every 15 s.
	EXPECT_GE(renewals.size(), 6u);
	for (const auto &r : renewals)
		EXPECT_EQ(r.swap_mode, SwapMode::prefer_fast);
	// seq strictly increasing.
	const auto &sent = sim.guest(1).directives;
	for (std::size_t i = 1; i < sent.size(); i++)
		EXPECT_GT(sent[i].seq, sent[i - 1].seq);
}

TEST(Arbiter, TwoUnansweredDirectivesMakeAGuestUncooperative)
{
	Sim sim = rig();
	sim.guest(1).answers = false;
	rogue_starts(sim);
	auto actions = sim.run(40);
	ASSERT_EQ(of(actions, "uncooperative").size(), 1u);
	EXPECT_TRUE(sim.state.domains[1].uncooperative);
	// After that, no directive; memory (a Dom0-side action) still flows.
	const auto sent = sim.guest(1).directives.size();
	EXPECT_LE(sent, 3u);
	EXPECT_EQ(sim.guest(1).directives.size(), sent);
	EXPECT_FALSE(of(actions, "grant").empty());
}

TEST(Arbiter, ObserveModeAndTheKillSwitchChangeNothing)
{
	for (int variant = 0; variant < 3; variant++) {
		Sim sim = rig();
		if (variant == 0)
			sim.config.mode = Mode::observe;
		else if (variant == 1)
			sim.kill_switch = true;
		else
			sim.config.enabled = false;
		rogue_starts(sim);
		auto actions = sim.run(40);
		EXPECT_FALSE(of(actions, "detected").empty());
		EXPECT_FALSE(of(actions, "prefer-fast").empty()) << "says what it would do";
		for (const auto &a : actions)
			EXPECT_FALSE(a.execute) << a.what;
		EXPECT_EQ(sim.guest(1).target_kb, 256 * mib);
		EXPECT_TRUE(sim.guest(1).directives.empty());
	}
}

TEST(Arbiter, AdviseModeSendsDirectivesButMovesNoMemory)
{
	Sim sim = rig();
	sim.config.mode = Mode::advise;
	rogue_starts(sim);
	auto actions = sim.run(20);
	EXPECT_FALSE(sim.guest(1).directives.empty());
	for (const auto &a : actions)
		EXPECT_TRUE(a.kind != ActionKind::set_target || !a.execute) << a.what;
	EXPECT_EQ(sim.guest(1).target_kb, 256 * mib);
}

// The rig's order (arbiter-rogue.sh): the rogue found in observe mode, then SIGHUP to act while
// it still swaps. The first real directive is the ladder's first step, and memory moves.
TEST(Arbiter, ActAfterObserveStartsTheLadderAtItsFirstStep)
{
	for (bool kill_switch : {false, true}) {
		Sim sim = rig();
		if (kill_switch)
			sim.kill_switch = true;
		else
			sim.config.mode = Mode::observe;
		rogue_starts(sim);
		auto observed = sim.run(20);
		ASSERT_FALSE(of(observed, "detected").empty());
		ASSERT_FALSE(of(observed, "avoid-disk").empty()) << "observe climbed the ladder";
		ASSERT_TRUE(sim.guest(1).directives.empty());
		sim.kill_switch = false;
		sim.config.mode = Mode::act;
		auto acted = sim.run();
		EXPECT_EQ(of(acted, "detected").size(), 1u) << "named again in the first step";
		ASSERT_EQ(sim.guest(1).directives.size(), 1u);
		EXPECT_EQ(sim.guest(1).directives[0].swap_mode, SwapMode::prefer_fast);
		ASSERT_EQ(of(acted, "grant").size(), 1u);
		EXPECT_TRUE(of(acted, "grant")[0].execute);
		EXPECT_GT(sim.guest(1).target_kb, 256 * mib);
		// And the ladder goes on from there, in order.
		sim.run(static_cast<int>(sim.config.hold_ms / sim.config.interval_ms) + 1);
		ASSERT_EQ(sim.guest(1).directives.size(), 2u);
		EXPECT_EQ(sim.guest(1).directives[1].swap_mode, SwapMode::avoid_disk);
	}
}

TEST(Arbiter, ActAfterAdviseGrantsTheMemoryAdviseOnlyCounted)
{
	Sim sim = rig();
	sim.config.mode = Mode::advise;
	rogue_starts(sim);
	auto advised = sim.run(8);
	ASSERT_EQ(of(advised, "grant").size(), 1u);
	ASSERT_FALSE(of(advised, "grant")[0].execute);
	const auto directives = sim.guest(1).directives.size();
	ASSERT_GE(directives, 1u);
	sim.config.mode = Mode::act;
	auto acted = sim.run();
	ASSERT_EQ(of(acted, "grant").size(), 1u);
	EXPECT_TRUE(of(acted, "grant")[0].execute);
	EXPECT_EQ(of(acted, "grant")[0].target_kb, of(advised, "grant")[0].target_kb);
	EXPECT_TRUE(of(acted, "detected").empty()) << "advise's directives were real: no restart";
	for (auto i = directives; i < sim.guest(1).directives.size(); i++)
		EXPECT_NE(sim.guest(1).directives[i].swap_mode, SwapMode::prefer_fast)
			<< "the ladder goes on, never back to its first step";
}

TEST(Arbiter, OptedOutDomainIsNeverSteered)
{
	for (bool by_flag : {false, true}) {
		Sim sim = rig();
		if (by_flag)
			sim.guest(1).opt_out = true;
		else
			sim.config.opt_out = {"rogue"};
		rogue_starts(sim);
		auto actions = sim.run(30);
		EXPECT_FALSE(of(actions, "detected").empty());
		EXPECT_FALSE(of(actions, "opted-out").empty());
		for (const auto &a : actions)
			EXPECT_EQ(a.kind, ActionKind::report) << a.what;
	}
}

TEST(Arbiter, GarbageReportIsIgnoredAndCounted)
{
	Sim sim = rig();
	sim.guest(1).raw_report = Values{{"version", "1"}, {"mem-total-kb", "-5"}};
	rogue_starts(sim);
	auto actions = sim.run(10);
	EXPECT_GE(sim.state.domains[1].bad_reports, 10u);
	EXPECT_FALSE(sim.state.domains[1].report_usable);
	// Detected on Dom0's evidence all the same; no directive (no agent to answer it), a
	// fixed grant instead of one sized by the report.
	EXPECT_FALSE(of(actions, "detected").empty());
	EXPECT_TRUE(sim.guest(1).directives.empty());
	auto grants = of(actions, "grant");
	ASSERT_EQ(grants.size(), 1u);
	EXPECT_EQ(grants[0].target_kb - grants[0].old_target_kb, sim.config.grant_kb);
}

TEST(Arbiter, ReportThatDisagreesWithXenIsIgnored)
{
	Sim sim = rig();
	sim.guest(2).report.mem_total_kb = 4096 * mib; // above its static-max
	sim.guest(2).report.mem_available_kb = 100;
	sim.run(3);
	EXPECT_FALSE(sim.state.domains[2].report_usable);
	EXPECT_NE(sim.state.domains[2].report_problem.find("static-max"), std::string::npos);

	Sim other = rig();
	other.guest(2).report.balloon = BalloonSample{4096 * mib, 4096 * mib};
	other.guest(2).raw_report.reset();
	other.guest(2).report.balloon.reset();
	// A balloon far from Xen's current (published as a raw report, so the sim does not
	// correct it).
	Values v;
	Report r = other.guest(2).report;
	r.balloon = BalloonSample{900 * mib, 900 * mib};
	for (auto &[k, val] : encode_report(r))
		v[k] = val;
	other.guest(2).raw_report = v;
	other.run(2);
	EXPECT_FALSE(other.state.domains[2].report_usable);
}

TEST(Arbiter, FloodedReportIsIgnored)
{
	Sim sim = rig();
	sim.run(2);
	sim.guest(2).report.seq += 1000;
	sim.run(1);
	EXPECT_FALSE(sim.state.domains[2].report_usable);
	EXPECT_NE(sim.state.domains[2].report_problem.find("flooding"), std::string::npos);
	sim.run(1);
	EXPECT_TRUE(sim.state.domains[2].report_usable) << "a normal pace is accepted again";
}

TEST(Arbiter, StaleReportIsIgnored)
{
	Sim sim = rig();
	sim.run(2);
	Values frozen;
	for (auto &[k, val] : encode_report(sim.guest(2).report))
		frozen[k] = val;
	sim.guest(2).raw_report = frozen;
	sim.run(static_cast<int>(sim.config.stale_ms / sim.config.interval_ms) + 2);
	EXPECT_FALSE(sim.state.domains[2].report_usable);
	EXPECT_NE(sim.state.domains[2].report_problem.find("stale"), std::string::npos);
}

// ---- rebalancing ----

Sim balanced()
{
	Sim sim;
	sim.config.mode = Mode::act;
	sim.config.rebalance = true;
	sim.host_total_kb = sim.dom0_kb + 3072 * mib + sim.config.host_reserve_kb;
	for (std::uint32_t id : {1u, 2u, 3u}) {
		auto &g = sim.add(id, "g" + std::to_string(id), 1024 * mib, 2048 * mib);
		g.rebalance = true;
	}
	return sim;
}

void uses(Sim &sim, std::uint32_t domid, std::uint64_t used_kb, std::uint32_t psi = 0)
{
	auto &g = sim.guest(domid);
	g.report.mem_total_kb = g.current_kb - 20 * mib;
	g.report.mem_available_kb = g.report.mem_total_kb > used_kb ? g.report.mem_total_kb - used_kb : 0;
	g.report.floor_kb = used_kb + 64 * mib;
	g.report.psi_some_avg10_centi = psi;
}

TEST(ArbiterRebalance, MovesMemoryTowardNeedNeverBelowFloor)
{
	Sim sim = balanced();
	uses(sim, 1, 900 * mib, 2000);
	uses(sim, 2, 200 * mib);
	uses(sim, 3, 200 * mib);
	auto moves = of(sim.run(40), "rebalance");
	ASSERT_FALSE(moves.empty());
	EXPECT_GT(sim.guest(1).target_kb, 1024 * mib);
	EXPECT_LT(sim.guest(2).target_kb, 1024 * mib);
	for (std::uint32_t id : {2u, 3u})
		EXPECT_GE(sim.guest(id).target_kb, sim.guest(id).report.floor_kb);
	std::uint64_t sum = 0;
	for (auto &g : sim.guests)
		sum += g.target_kb;
	EXPECT_LE(sum, 3072 * mib);
}

TEST(ArbiterRebalance, ObserveModeOnlySaysWhatItWouldDo)
{
	Sim sim = balanced();
	sim.config.mode = Mode::observe;
	uses(sim, 1, 900 * mib, 2000);
	uses(sim, 2, 200 * mib);
	uses(sim, 3, 200 * mib);
	auto moves = of(sim.run(40), "rebalance");
	ASSERT_FALSE(moves.empty());
	for (const auto &a : moves)
		EXPECT_FALSE(a.execute);
	for (auto &g : sim.guests)
		EXPECT_EQ(g.target_kb, 1024 * mib);
}

TEST(ArbiterRebalance, SmallMovesAreIgnored)
{
	Sim sim = balanced();
	for (std::uint32_t id : {1u, 2u, 3u})
		uses(sim, id, 850 * mib);
	// Need 850 + 10 % = 935 MiB each, the pool 3072: within min_move of 1024.
	EXPECT_TRUE(of(sim.run(40), "rebalance").empty());
}

TEST(ArbiterRebalance, OnlyOptedInGuestsMove)
{
	Sim sim = balanced();
	sim.guest(2).rebalance = false;
	uses(sim, 1, 900 * mib, 2000);
	uses(sim, 2, 100 * mib);
	uses(sim, 3, 200 * mib);
	for (const auto &a : sim.run(40))
		EXPECT_TRUE(a.kind != ActionKind::set_target || a.domid != 2u) << a.what;
	sim.config.rebalance = false;
	uses(sim, 3, 1500 * mib, 5000);
	EXPECT_TRUE(of(sim.run(40), "rebalance").empty());
}

TEST(ArbiterRebalance, AtMostOneReversalPerWindow)
{
	Sim sim = balanced();
	sim.config.rebalance_interval_ms = 2000;
	std::vector<int> directions;
	for (int flip = 0; flip < 8; flip++) {
		uses(sim, 1, flip % 2 ? 300 * mib : 1400 * mib, flip % 2 ? 0 : 3000);
		uses(sim, 2, 400 * mib);
		uses(sim, 3, 400 * mib);
		for (const auto &a : sim.run(5))
			if (a.kind == ActionKind::set_target && a.domid == 1)
				directions.push_back(a.target_kb > a.old_target_kb ? 1 : -1);
	}
	int reversals = 0;
	for (std::size_t i = 1; i < directions.size(); i++)
		reversals += directions[i] != directions[i - 1];
	// 80 s of demand flipping every 10 s, window 300 s: one reversal at most.
	EXPECT_LE(reversals, 1);
	EXPECT_GE(directions.size(), 1u);
}

TEST(ArbiterRebalance, StuckGuestIsLeftOutUntilItMoves)
{
	Sim sim = balanced();
	sim.guest(2).follows_target = false;
	uses(sim, 1, 900 * mib, 2000);
	uses(sim, 2, 200 * mib);
	uses(sim, 3, 200 * mib);
	auto actions = sim.run(40);
	ASSERT_EQ(of(actions, "stuck").size(), 1u);
	EXPECT_EQ(of(actions, "stuck")[0].domid, 2u);
	const auto moves_before = std::count_if(actions.begin(), actions.end(), [](const Action &a) {
		return a.kind == ActionKind::set_target && a.domid == 2;
	});
	EXPECT_EQ(moves_before, 1);
	// It moves at last: back in.
	sim.guest(2).current_kb = sim.guest(2).target_kb;
	sim.guest(2).follows_target = true;
	EXPECT_EQ(of(sim.run(2), "moving").size(), 1u);
	EXPECT_FALSE(sim.state.domains[2].stuck);
}

TEST(ArbiterRebalance, PromisedMemoryIsNotGivenTwice)
{
	Sim sim = balanced();
	sim.host_total_kb += 512 * mib; // free memory to grow into
	sim.guest(1).follows_target = false;
	uses(sim, 1, 1000 * mib, 3000);
	uses(sim, 2, 900 * mib, 3000);
	uses(sim, 3, 900 * mib, 3000);
	for (int i = 0; i < 30; i++) {
		sim.run();
		std::uint64_t sum = sim.dom0_kb;
		for (auto &g : sim.guests)
			sum += g.target_kb;
		ASSERT_LE(sum, sim.host_total_kb) << "step " << i;
	}
}

} // namespace
} // namespace memtune::arbiter
