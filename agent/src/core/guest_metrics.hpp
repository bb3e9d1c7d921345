// What xen-memtuned exports on /metrics (docs/metrics.md): its kernel sample, the report it
// published, the directives it answered, and the module's state and counters from
// /sys/kernel/xen_memtune/. Plain data in, metric families out; the daemon
// (daemon/metrics_exporter.cpp) reads the files and counts.
#pragma once

#include <cstdint>
#include <optional>

#include "core/ack.hpp"
#include "core/metrics.hpp"
#include "core/procfs.hpp"
#include "core/report.hpp"

namespace memtune {

// /sys/kernel/xen_memtune/ as read at one moment: every field nullopt when its file is absent
// or unreadable (the module not loaded, or a version without it).
struct ModuleSample {
	bool loaded = false; // the directory exists
	std::optional<std::uint64_t> target_kb;
	std::optional<std::uint64_t> current_kb;
	std::optional<std::uint64_t> floor_kb;
	std::optional<std::uint64_t> passes;          // stats/applies
	std::optional<std::uint64_t> target_refusals; // stats/rejected
	std::optional<std::uint64_t> stalls;          // stats/stalls
	std::optional<std::uint64_t> errors;          // stats/errors
	std::optional<std::uint64_t> guard_corrections; // stats/guard_refusals
	std::optional<std::uint64_t> apply_duration_ns; // stats/apply_duration_ns
};

// Directives this agent answered since it started, by result.
struct DirectiveCounts {
	std::uint64_t applied = 0;
	std::uint64_t partial = 0;
	std::uint64_t refused = 0;

	void count(AckResult result);
};

struct GuestMetrics {
	// The last kernel sample (nullopt before the first one succeeded).
	std::optional<Meminfo> meminfo;
	std::optional<Vmstat> vmstat;
	std::optional<MemoryPressure> pressure;
	std::optional<BalloonSample> balloon;
	std::uint64_t page_size = 4096; // bytes, for /proc/vmstat's page counts
	std::optional<Report> report;   // the report last published
	std::uint64_t reports_published = 0;
	DirectiveCounts directives;
	ModuleSample module;
};

std::vector<metrics::Family> guest_families(const GuestMetrics &m);

} // namespace memtune
