// Reclaim plan: give back reclaim-kb of page cache in bounded steps through the root cgroup's
// memory.reclaim (Linux >= 5.19, so 6.1 has it), stopping early when memory pressure rises.
//
// The executor loops: d = next_reclaim_step(request, progress, psi); if d is a ReclaimStep,
// write d.kb * 1024 to memory.reclaim (or, for drop_caches, write 1 to
// /proc/sys/vm/drop_caches), record the outcome in progress, wait d.pause_ms, repeat; if d is a
// ReclaimDone, answer with its result and reason.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "core/ack.hpp"
#include "core/config.hpp"

namespace memtune {

struct ReclaimRequest {
	std::uint64_t target_kb = 0;            // what the directive (or D-Bus caller) asked
	std::uint64_t step_kb = 65536;          // Config::reclaim_step_kb
	std::uint32_t psi_stop_centi = 2000;    // Config::reclaim_psi_stop_centi
	bool memory_reclaim_available = true;   // /sys/fs/cgroup/memory.reclaim exists
	bool drop_caches_allowed = false;       // Config::drop_caches_allowed
};

ReclaimRequest make_reclaim_request(std::uint64_t target_kb, const Config &config,
				    bool memory_reclaim_available);

struct ReclaimProgress {
	std::uint64_t reclaimed_kb = 0; // sum of steps the kernel completed
	std::uint32_t steps = 0;        // steps attempted
	std::uint32_t failed_steps = 0; // consecutive steps the kernel could not complete (EAGAIN)
	bool dropped_caches = false;    // the drop_caches fallback ran
};

// One step to take now.
enum class ReclaimMethod { memory_reclaim, drop_caches };
struct ReclaimStep {
	ReclaimMethod method = ReclaimMethod::memory_reclaim;
	std::uint64_t kb = 0;          // for memory_reclaim
	std::uint32_t pause_ms = 0;    // wait before the next call (lets PSI avg10 move)
};
struct ReclaimDone {
	AckResult result = AckResult::applied;
	std::string reason;
};
using ReclaimDecision = std::variant<ReclaimStep, ReclaimDone>;

// Consecutive failed steps after which reclaim gives up (the kernel found nothing more).
inline constexpr std::uint32_t reclaim_max_failed_steps = 2;
inline constexpr std::uint32_t reclaim_pause_ms = 200;

// psi_some_avg10_centi: memory PSI "some" avg10 now, hundredths of a percent.
ReclaimDecision next_reclaim_step(const ReclaimRequest &request, const ReclaimProgress &progress,
				  std::uint32_t psi_some_avg10_centi);

// Record a step's outcome: completed (write returned success) or not (EAGAIN).
void record_reclaim_step(ReclaimProgress &progress, const ReclaimStep &step, bool completed);

} // namespace memtune
