#include "core/reclaim_plan.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/number.hpp"

namespace memtune {

namespace {

std::string centi(std::uint32_t value)
{
	return fmt::format("{}.{:02}%", value / 100, value % 100);
}

// A short run is a success; stopping with some reclaimed is partial; with none, refused.
AckResult stopped_result(const ReclaimProgress &progress)
{
	return progress.reclaimed_kb > 0 ? AckResult::partial : AckResult::refused;
}

} // namespace

ReclaimRequest make_reclaim_request(std::uint64_t target_kb, const Config &config,
				    bool memory_reclaim_available)
{
	ReclaimRequest r;
	r.target_kb = target_kb;
	r.step_kb = std::max<std::uint64_t>(config.reclaim_step_kb, 4);
	r.psi_stop_centi = config.reclaim_psi_stop_centi;
	r.memory_reclaim_available = memory_reclaim_available;
	r.drop_caches_allowed = config.drop_caches_allowed;
	return r;
}

ReclaimDecision next_reclaim_step(const ReclaimRequest &request, const ReclaimProgress &progress,
				  std::uint32_t psi_some_avg10_centi)
{
	if (request.target_kb == 0)
		return ReclaimDone{AckResult::applied, "nothing to reclaim"};

	if (psi_some_avg10_centi > request.psi_stop_centi)
		return ReclaimDone{stopped_result(progress),
				   fmt::format("reclaim stopped after {} of {}: memory PSI some avg10 "
					       "{} above {}",
					       format_kb(progress.reclaimed_kb),
					       format_kb(request.target_kb),
					       centi(psi_some_avg10_centi),
					       centi(request.psi_stop_centi))};

	if (!request.memory_reclaim_available) {
		if (!request.drop_caches_allowed)
			return ReclaimDone{AckResult::refused,
					   "memory.reclaim is unavailable and drop_caches is not "
					   "allowed by local config"};
		if (!progress.dropped_caches)
			return ReclaimStep{ReclaimMethod::drop_caches, 0, reclaim_pause_ms};
		// drop_caches frees all clean page cache at once; it cannot be measured per request.
		return ReclaimDone{AckResult::applied,
				   "dropped clean page cache (memory.reclaim unavailable)"};
	}

	if (progress.reclaimed_kb >= request.target_kb)
		return ReclaimDone{AckResult::applied,
				   fmt::format("reclaimed {} in {} steps",
					       format_kb(progress.reclaimed_kb), progress.steps)};

	if (progress.failed_steps >= reclaim_max_failed_steps)
		return ReclaimDone{stopped_result(progress),
				   fmt::format("reclaim stopped after {} of {}: the kernel found "
					       "nothing more to reclaim",
					       format_kb(progress.reclaimed_kb),
					       format_kb(request.target_kb))};

	// Bound the whole run: enough steps for the target plus the failures allowed, so a kernel
	// that keeps half-succeeding cannot keep the agent busy forever.
	const std::uint64_t needed = (request.target_kb + request.step_kb - 1) / request.step_kb;
	if (progress.steps >= needed + 2 * reclaim_max_failed_steps)
		return ReclaimDone{stopped_result(progress),
				   fmt::format("reclaim stopped after {} of {}: step limit {} reached",
					       format_kb(progress.reclaimed_kb),
					       format_kb(request.target_kb), progress.steps)};

	const std::uint64_t left = request.target_kb - progress.reclaimed_kb;
	return ReclaimStep{ReclaimMethod::memory_reclaim, std::min(left, request.step_kb),
			   reclaim_pause_ms};
}

void record_reclaim_step(ReclaimProgress &progress, const ReclaimStep &step, bool completed)
{
	progress.steps++;
	if (step.method == ReclaimMethod::drop_caches) {
		progress.dropped_caches = true;
		return;
	}
	if (completed) {
		progress.reclaimed_kb += step.kb;
		progress.failed_steps = 0;
	} else {
		progress.failed_steps++;
	}
}

} // namespace memtune
