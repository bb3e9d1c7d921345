// Dom0's block counters, as text from sysfs: a block device's stat
// (Documentation/block/stat.rst) and blkback's per-vbd statistics
// (/sys/bus/xen-backend/devices/vbd-<domid>-<devid>/statistics/*, one decimal each,
// drivers/block/xen-blkback/xenbus.c). Pure: the daemon reads the files.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/result.hpp"

namespace memtune {

// /sys/block/<dev>/stat: the fields the arbiter uses (ticks in ms, sectors of 512 bytes).
struct DiskCounters {
	std::uint64_t read_ios = 0;
	std::uint64_t read_sectors = 0;
	std::uint64_t read_ticks_ms = 0;
	std::uint64_t write_ios = 0;
	std::uint64_t write_sectors = 0;
	std::uint64_t write_ticks_ms = 0;
	std::uint64_t io_ticks_ms = 0; // time the device had I/O in flight
};
// 11 fields (Linux < 4.18), 15 (discard) or 17 (flush); anything else is an Error.
Result<DiskCounters> parse_disk_stat(std::string_view text);

// blkback's statistics of one vbd, summed over a domain's vbds by the caller.
struct VbdCounters {
	std::uint64_t rd_req = 0;
	std::uint64_t wr_req = 0;
	std::uint64_t rd_sect = 0;
	std::uint64_t wr_sect = 0;
	std::uint64_t oo_req = 0;
	VbdCounters &operator+=(const VbdCounters &other);
};
// One statistics file: a strict decimal and an optional newline.
Result<std::uint64_t> parse_counter(std::string_view text, std::string_view what);

// "vbd-5-51712" -> {5, 51712}; nullopt for anything else.
struct VbdName {
	std::uint32_t domid = 0;
	std::uint32_t devid = 0;
};
std::optional<VbdName> parse_vbd_name(std::string_view name);

// A device's health over a window: mean time per request and percent of time busy.
struct DiskWindow {
	double await_ms = 0; // (read + write ticks) / (read + write ios); 0 when no I/O
	double util_pct = 0; // io_ticks / elapsed * 100, at most 100
	double iops = 0;
};
// Counters that went backwards (device re-created) give an all-zero window.
DiskWindow disk_window(const DiskCounters &before, const DiskCounters &after,
		       std::uint64_t elapsed_ms);

} // namespace memtune
