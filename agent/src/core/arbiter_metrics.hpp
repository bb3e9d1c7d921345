// What xen-memtune-arbiter exports on /metrics (docs/metrics.md): per domain (labels domid and
// name) Xen's memory, the guest's last usable report, the remedy and what the arbiter did;
// per shared disk the harm it measures; the host and the arbiter itself. Plain data in, metric
// families out; the daemon (arbiter/service.cpp) counts and calls this after each interval.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "core/arbiter.hpp"
#include "core/metrics.hpp"

namespace memtune::arbiter {

// What the daemon counted since it started. Keys of the per-domain maps are domids; a domain
// that is gone is dropped with its counters (its series end, as Prometheus expects).
struct Counters {
	std::uint64_t intervals = 0;          // evaluations made
	std::uint64_t failed_intervals = 0;   // intervals with no decision (sampling failed)
	std::uint64_t last_evaluation_s = 0;  // seconds since the epoch, 0 before the first
	std::map<std::uint32_t, std::uint64_t> directives_sent; // written to xenstore
	// (domid, result) -> answers seen: applied, partial, refused, garbage.
	std::map<std::pair<std::uint32_t, std::string>, std::uint64_t> answers;
	// (domid, decision, outcome) -> count; decision is Action::what ("detected",
	// "prefer-fast", "grant", ...), outcome "done", "would" (observe) or "failed".
	std::map<std::tuple<std::uint32_t, std::string, std::string>, std::uint64_t> decisions;

	// Forgets every domain not in keep.
	void prune(const std::map<std::uint32_t, DomainState> &keep);
};

// The counters after one interval's answers: a directive answered since `before`.
void count_answers(Counters &counters, const State &before, const State &after);

// sample: the last interval's (nullopt before the first one succeeded).
std::vector<metrics::Family> arbiter_families(const Config &config, const State &state,
					      const std::optional<Sample> &sample,
					      const Counters &counters);

} // namespace memtune::arbiter
