// Dom0's own counters (trusted): blkback's per-vbd statistics, the backing devices' stat and
// Dom0's memory pressure, under configurable roots so tests use a temporary tree.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/blockstat.hpp"
#include "io/procfs.hpp"
#include "io/result.hpp"

namespace memtune::arbiter {

// vbd-<domid>-<devid>/statistics/* under <sys>/bus/xen-backend/devices, summed per domain. A
// vbd whose files cannot be read is left out (it is being torn down); no backend directory at
// all (xen-blkback not loaded) reads as no vbds.
std::map<std::uint32_t, VbdCounters> read_vbds(const io::Procfs &kernel);

// <sys>/block/<name>/stat for each name; names empty: every whole disk that has a device
// (<sys>/block/<name>/device), which leaves out loop, ram, zram and device-mapper nodes.
io::Result<std::map<std::string, DiskCounters>> read_disks(const io::Procfs &kernel,
							   const std::vector<std::string> &names);

// "some avg10" of <proc>/pressure/memory in hundredths of a percent; 0 without PSI.
std::uint32_t read_host_psi(const io::Procfs &kernel);

} // namespace memtune::arbiter
