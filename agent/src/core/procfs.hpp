// Parsers for the /proc text the report is built from. Pure: the caller reads the files
// (agent-daemon's src/io) and passes their whole text in; tests pass literal text.
// Every parser refuses malformed input with an Error naming the line ("meminfo line 3: ...");
// unknown keys are ignored, since newer kernels add lines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace memtune {

// /proc/meminfo, the fields the agent uses, all in KiB. MemTotal, MemAvailable, SwapTotal and
// SwapFree are required; the others read as 0 when absent.
struct Meminfo {
	std::uint64_t mem_total_kb = 0;
	std::uint64_t mem_free_kb = 0;
	std::uint64_t mem_available_kb = 0;
	std::uint64_t buffers_kb = 0;
	std::uint64_t cached_kb = 0;
	std::uint64_t swap_cached_kb = 0;
	std::uint64_t active_file_kb = 0;
	std::uint64_t inactive_file_kb = 0;
	std::uint64_t dirty_kb = 0;
	std::uint64_t writeback_kb = 0;
	std::uint64_t shmem_kb = 0;
	std::uint64_t slab_reclaimable_kb = 0;
	std::uint64_t swap_total_kb = 0;
	std::uint64_t swap_free_kb = 0;
};
Result<Meminfo> parse_meminfo(std::string_view text);

// /proc/vmstat counters (pages, monotonic since boot). pswpin and pswpout are required;
// workingset_refault_anon/file (Linux >= 5.9) fall back to the older single
// workingset_refault, counted as file refaults, and to 0.
struct Vmstat {
	std::uint64_t pswpin = 0;
	std::uint64_t pswpout = 0;
	std::uint64_t workingset_refault_anon = 0;
	std::uint64_t workingset_refault_file = 0;
};
Result<Vmstat> parse_vmstat(std::string_view text);

// One row of /proc/swaps. The kernel escapes space, tab, newline and backslash in the name as
// octal (\040); the parser decodes them. Sizes in KiB.
struct SwapDevice {
	std::string name;      // "/dev/zram0", "/swapfile"
	std::string type;      // "partition" or "file"
	std::uint64_t size_kb = 0;
	std::uint64_t used_kb = 0;
	std::int32_t priority = 0; // negative: assigned by the kernel (swapon without -p)
};
Result<std::vector<SwapDevice>> parse_swaps(std::string_view text);

// /proc/pressure/memory: "some avg10=0.12 avg60=... avg300=... total=N" and the same for
// "full". Averages in hundredths of a percent (0..10000); total in microseconds.
struct PsiLine {
	std::uint32_t avg10_centi = 0;
	std::uint32_t avg60_centi = 0;
	std::uint32_t avg300_centi = 0;
	std::uint64_t total_us = 0;
};
struct MemoryPressure {
	PsiLine some;
	PsiLine full;
};
Result<MemoryPressure> parse_memory_pressure(std::string_view text);

// Per-second rates between two /proc/vmstat samples taken elapsed_ms apart. A counter that went
// backwards (restore, counter wrap) gives rate 0 rather than a huge number. elapsed_ms == 0 is an
// Error (the caller sampled twice in the same millisecond).
struct VmstatRates {
	double swap_in_pps = 0;   // pages per second
	double swap_out_pps = 0;
	double refault_pps = 0;   // anon + file refaults
};
Result<VmstatRates> vmstat_rates(const Vmstat &before, const Vmstat &after,
				 std::uint64_t elapsed_ms);

} // namespace memtune
