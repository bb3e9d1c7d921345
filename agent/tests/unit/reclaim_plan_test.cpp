#include "core/reclaim_plan.hpp"

#include <string>

#include <gtest/gtest.h>

namespace memtune {
namespace {

ReclaimRequest request(std::uint64_t target_kb)
{
	ReclaimRequest r;
	r.target_kb = target_kb;
	r.step_kb = 65536;
	r.psi_stop_centi = 2000;
	return r;
}

// Runs the loop the executor runs against a scripted kernel: `completes(step)` says whether
// memory.reclaim succeeded, `psi(step)` the pressure seen before that step.
template <typename Completes, typename Psi>
std::pair<ReclaimDone, std::vector<std::uint64_t>> run(const ReclaimRequest &req,
						       Completes completes, Psi psi)
{
	ReclaimProgress progress;
	std::vector<std::uint64_t> steps;
	for (int guard = 0; guard < 1000; guard++) {
		auto d = next_reclaim_step(req, progress, psi(progress.steps));
		if (auto *done = std::get_if<ReclaimDone>(&d))
			return {*done, steps};
		const auto &step = std::get<ReclaimStep>(d);
		steps.push_back(step.kb);
		record_reclaim_step(progress, step, completes(progress.steps));
	}
	ADD_FAILURE() << "reclaim never finished";
	return {};
}

TEST(Reclaim, StepsUpToTheTargetThenApplied)
{
	auto [done, steps] = run(request(150000), [](std::uint32_t) { return true; },
				 [](std::uint32_t) { return 100u; });
	EXPECT_EQ(steps, (std::vector<std::uint64_t>{65536, 65536, 18928}));
	EXPECT_EQ(done.result, AckResult::applied);
	EXPECT_EQ(done.reason, "reclaimed 146 MiB in 3 steps");
}

TEST(Reclaim, StopsWhenPressureRises)
{
	auto [done, steps] = run(request(1048576), [](std::uint32_t) { return true; },
				 [](std::uint32_t n) { return n < 2 ? 500u : 2001u; });
	EXPECT_EQ(steps.size(), 2u);
	EXPECT_EQ(done.result, AckResult::partial);
	EXPECT_EQ(done.reason,
		  "reclaim stopped after 128 MiB of 1024 MiB: memory PSI some avg10 20.01% above 20.00%");
}

TEST(Reclaim, PressureAlreadyHighRefusesBeforeAnyStep)
{
	auto [done, steps] = run(request(65536), [](std::uint32_t) { return true; },
				 [](std::uint32_t) { return 5000u; });
	EXPECT_TRUE(steps.empty());
	EXPECT_EQ(done.result, AckResult::refused);
}

TEST(Reclaim, PressureExactlyAtBoundStillSteps)
{
	auto [done, steps] = run(request(65536), [](std::uint32_t) { return true; },
				 [](std::uint32_t) { return 2000u; });
	EXPECT_EQ(steps.size(), 1u);
	EXPECT_EQ(done.result, AckResult::applied);
}

TEST(Reclaim, GivesUpAfterConsecutiveFailures)
{
	// Kernel completes the first step, then keeps answering EAGAIN.
	auto [done, steps] = run(request(1048576), [](std::uint32_t n) { return n == 0; },
				 [](std::uint32_t) { return 0u; });
	EXPECT_EQ(steps.size(), 1u + reclaim_max_failed_steps);
	EXPECT_EQ(done.result, AckResult::partial);
	EXPECT_EQ(done.reason, "reclaim stopped after 64 MiB of 1024 MiB: the kernel found nothing "
			       "more to reclaim");
}

TEST(Reclaim, NothingReclaimableIsRefused)
{
	auto [done, steps] = run(request(65536), [](std::uint32_t) { return false; },
				 [](std::uint32_t) { return 0u; });
	EXPECT_EQ(done.result, AckResult::refused);
}

TEST(Reclaim, AlternatingFailuresHitTheStepLimit)
{
	// Success, failure, success, ... never two failures in a row; the step bound (10 steps
	// needed + 2 * reclaim_max_failed_steps) ends it before the target.
	auto [done, steps] = run(request(10 * 65536), [](std::uint32_t n) { return n % 2 == 0; },
				 [](std::uint32_t) { return 0u; });
	EXPECT_EQ(steps.size(), 10u + 2 * reclaim_max_failed_steps);
	EXPECT_EQ(done.result, AckResult::partial);
	EXPECT_EQ(done.reason, "reclaim stopped after 448 MiB of 640 MiB: step limit 14 reached");
}

TEST(Reclaim, ZeroTargetIsApplied)
{
	auto d = next_reclaim_step(request(0), {}, 9999);
	ASSERT_TRUE(std::holds_alternative<ReclaimDone>(d));
	EXPECT_EQ(std::get<ReclaimDone>(d).result, AckResult::applied);
}

TEST(Reclaim, DropCachesOnlyWhenAllowed)
{
	auto req = request(65536);
	req.memory_reclaim_available = false;
	auto refused = next_reclaim_step(req, {}, 0);
	ASSERT_TRUE(std::holds_alternative<ReclaimDone>(refused));
	EXPECT_EQ(std::get<ReclaimDone>(refused).result, AckResult::refused);
	EXPECT_EQ(std::get<ReclaimDone>(refused).reason,
		  "memory.reclaim is unavailable and drop_caches is not allowed by local config");

	req.drop_caches_allowed = true;
	ReclaimProgress progress;
	auto first = next_reclaim_step(req, progress, 0);
	ASSERT_TRUE(std::holds_alternative<ReclaimStep>(first));
	EXPECT_EQ(std::get<ReclaimStep>(first).method, ReclaimMethod::drop_caches);
	record_reclaim_step(progress, std::get<ReclaimStep>(first), true);
	auto second = next_reclaim_step(req, progress, 0);
	ASSERT_TRUE(std::holds_alternative<ReclaimDone>(second));
	EXPECT_EQ(std::get<ReclaimDone>(second).result, AckResult::applied);
}

TEST(Reclaim, RequestFromConfig)
{
	Config c;
	c.reclaim_step_kb = 1024;
	c.reclaim_psi_stop_centi = 1500;
	c.drop_caches_allowed = true;
	const auto r = make_reclaim_request(4096, c, false);
	EXPECT_EQ(r.target_kb, 4096u);
	EXPECT_EQ(r.step_kb, 1024u);
	EXPECT_EQ(r.psi_stop_centi, 1500u);
	EXPECT_FALSE(r.memory_reclaim_available);
	EXPECT_TRUE(r.drop_caches_allowed);
}

} // namespace
} // namespace memtune
