// The report the guest publishes under data/memtune/ (protocol v1, docs/ARCHITECTURE.md), its
// encoding to xenstore key/value pairs, and the "publish now?" decision.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/procfs.hpp"

namespace memtune {

inline constexpr std::uint32_t protocol_version = 1;

// Balloon state from /sys/devices/system/xen_memory/xen_memory0/{target_kb,info/current_kb}.
struct BalloonSample {
	std::uint64_t current_kb = 0;
	std::uint64_t target_kb = 0;
};

// Balloon counts as having reached its target when current is within this many KiB of it
// (libxl subtracts videoram and a 1 MiB fudge from HVM targets; pages come back in batches).
inline constexpr std::uint64_t target_reached_tolerance_kb = 4096;

struct Report {
	std::uint32_t version = protocol_version;
	std::uint64_t mem_total_kb = 0;
	std::uint64_t mem_available_kb = 0;
	std::uint64_t reclaimable_kb = 0;
	std::uint64_t swap_total_kb = 0;
	std::uint64_t swap_used_kb = 0;
	// Size of the fast swap devices (the config's fast_devices: zram, ...); nullopt when
	// /proc/swaps could not be read. Dom0's arbiter asks a guest with none to avoid-disk at once.
	std::optional<std::uint64_t> swap_fast_total_kb;
	double swap_in_pps = 0;
	double swap_out_pps = 0;
	double refault_pps = 0;
	std::uint32_t psi_some_avg10_centi = 0; // hundredths of a percent
	std::uint32_t psi_some_avg60_centi = 0;
	std::uint32_t psi_full_avg10_centi = 0;
	std::uint32_t psi_full_avg60_centi = 0;
	std::optional<BalloonSample> balloon; // absent when the balloon sysfs files are missing
	std::uint64_t floor_kb = 0;
	std::string floor_reason;
	std::uint64_t seq = 0; // update counter, bumped by the publisher on every publish
};

// Page cache and slab the kernel can give back without swapping, in KiB: file LRU
// (Active(file) + Inactive(file)) + SReclaimable - (Dirty + Writeback), never negative.
std::uint64_t reclaimable_kb(const Meminfo &meminfo);

// Smallest balloon target this guest can take now without swapping or OOM, and why.
// Shrinking by X KiB takes X out of MemAvailable, and margin_kb must stay available, so
//   floor = current - (MemAvailable - margin)
// where current is the balloon's current_kb (it includes memory that MemTotal does not count:
// kernel image, memmap) or MemTotal when the balloon is unknown. With MemAvailable below the
// margin the floor is current itself: no room to shrink.
struct Floor {
	std::uint64_t floor_kb = 0;
	std::string reason; // "in use 1200 MiB + margin 64 MiB + kernel 40 MiB"
};
Floor estimate_floor(const Meminfo &meminfo, const std::optional<BalloonSample> &balloon,
		     std::uint64_t margin_kb);

// Everything the report is built from; assemble_report() fills every field but seq.
struct ReportInputs {
	Meminfo meminfo;
	VmstatRates rates;
	MemoryPressure pressure;
	std::optional<BalloonSample> balloon;
	std::uint64_t floor_margin_kb = 0;
	std::optional<std::uint64_t> swap_fast_total_kb;
};
Report assemble_report(const ReportInputs &inputs);

// True when the balloon is within target_reached_tolerance_kb of its target.
bool target_reached(const BalloonSample &balloon);

// Keys relative to data/memtune/, in the order the contract lists them, seq last. Numbers in
// decimal; rates rounded to whole pages per second; PSI as the kernel prints it ("12.34");
// target-reached "1" or "0"; balloon-current-kb, balloon-target-kb and target-reached are ""
// when the balloon is unknown, swap-fast-total-kb "" when the swaps are; floor-reason is sanitised printable ASCII, at most 200 bytes.
// Write them in one xenstore transaction.
using KeyValues = std::vector<std::pair<std::string, std::string>>;
KeyValues encode_report(const Report &report);

// The writes that publish `current`, given what the last successful publish left in xenstore
// (`previous`; nullopt when nothing there can be trusted: first publish, reconnect, resume, a
// failed publish, a report that vanished). Every key whose encoded value differs from
// previous's, in encode_report() order, then seq, always and last: seq is what tells Dom0 a
// new report is complete, so it must be written even when nothing else moved. Values are
// compared encoded, so a rate that moved but rounds to the same whole page is not rewritten.
// With no previous, every key. Write them in one xenstore transaction.
KeyValues encode_report_update(const std::optional<Report> &previous, const Report &current);

// Dom0's side: a report read back from a guest's data/memtune/ (key -> value, keys relative to
// it, other keys ignored). Everything there is written by the guest, so nothing is trusted:
// version must be 1, every number strict (see number.hpp), PSI a percentage, balloon keys both
// numbers or both "", MemAvailable <= MemTotal and swap used <= swap total; swap-fast-total-kb
// (added within version 1) may be missing or "" (unknown), else a number <= swap total. Rates come back as
// whole pages per second; floor-reason is sanitised to printable ASCII, 200 bytes at most.
Result<Report> decode_report(const std::map<std::string, std::string> &values);

// When to publish. All times are milliseconds on one monotonic clock, passed in.
struct PublishPolicy {
	std::uint64_t heartbeat_ms = 60000;    // publish at least this often
	std::uint64_t min_interval_ms = 5000;  // and at most this often, unless forced
	std::uint64_t mem_delta_kb = 32768;    // MemAvailable, reclaimable, floor, balloon moves
	std::uint64_t swap_delta_kb = 16384;   // swap used moves
	std::uint32_t psi_delta_centi = 500;   // PSI some/full avg10 moves (hundredths of a percent)
	double rate_delta_pps = 100;           // swap-in/out or refault rate moves
};

struct PublishDecision {
	bool publish = false;
	std::string why;             // "first report", "heartbeat", "mem-available-kb moved 40 MiB"
	std::uint64_t recheck_at_ms = 0; // when the caller should ask again at the latest
};

// last: the report last published (nullopt: none yet). force: resume, reconnect or a directive
// answered, which publish even inside the minimum interval.
PublishDecision should_publish(const std::optional<Report> &last, std::uint64_t last_publish_ms,
			       const Report &current, std::uint64_t now_ms,
			       const PublishPolicy &policy, bool force);

} // namespace memtune
