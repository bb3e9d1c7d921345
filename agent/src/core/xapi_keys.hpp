// The keys XAPI's own guest agents publish (xe-guest-utilities, xen-guest-agent), written beside
// protocol v1 so XCP-ng / XenServer and Xen Orchestra see this guest's memory and the agent:
//
//   data/meminfo_total        KiB, MemTotal
//   data/meminfo_free         KiB, MemAvailable (what XAPI's agents report as "free")
//   data/updated              when the data keys were last written ("Mon Dec  7 06:30:00 2026", UTC)
//   control/feature-balloon   1: the guest balloons
//   control/feature-memtune   1: it runs xen-memtune (XAPI copies control/* into guest metrics)
//
// Pacing, like XAPI's agents (every 60-120 s): the data keys are written once per interval
// (data/updated always, the values when they changed) and at once, within the report's minimum
// interval, when MemTotal changed (a resize) or MemAvailable moved by the report's threshold.
// So an idle guest adds one write per interval. Paths are relative to the domain's home.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>

#include "core/procfs.hpp"
#include "core/report.hpp"

namespace memtune {

struct XapiPolicy {
	bool enabled = true;             // [xapi] enabled
	std::uint64_t interval_ms = 60000; // [xapi] interval_s
};

struct XapiValues {
	std::uint64_t meminfo_total_kb = 0;
	std::uint64_t meminfo_free_kb = 0;

	bool operator==(const XapiValues &) const = default;
};

XapiValues xapi_values(const Meminfo &meminfo);

// last: the values last written (nullopt: none yet, or xenstore may no longer hold them).
// why: "first write", "interval", "meminfo_total changed", "meminfo_free moved".
// min_interval_ms and free_delta_kb are the report's (PublishPolicy), so both sets of keys
// move together.
PublishDecision xapi_should_write(const std::optional<XapiValues> &last,
				  std::uint64_t last_write_ms, const XapiValues &current,
				  std::uint64_t now_ms, const XapiPolicy &policy,
				  std::uint64_t min_interval_ms, std::uint64_t free_delta_kb);

// The data keys one write sets: the values that differ from `last` (all of them without it),
// then data/updated.
KeyValues encode_xapi_update(const std::optional<XapiValues> &last, const XapiValues &current,
			     const std::string &updated);

// The control keys, written once per run (and again after a reconnect or resume).
KeyValues xapi_control_keys();

// data/updated's text for a time (seconds since the epoch), as XAPI's agents write it:
// "%a %b %e %H:%M:%S %Y" in UTC, e.g. "Mon Dec  7 06:30:00 2026".
std::string format_xapi_updated(std::time_t when);

} // namespace memtune
