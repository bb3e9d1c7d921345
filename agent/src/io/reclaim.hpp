// Page-cache reclaim: the root cgroup's memory.reclaim (cgroup v2, Linux >= 5.19; 6.1 has it on
// the root) and, only when the local config allows it, /proc/sys/vm/drop_caches.  How much per
// step and when to stop is core's plan; this file only performs one step.
#pragma once

#include <cstdint>

#include "io/procfs.hpp"
#include "io/result.hpp"

namespace memtune::io {

inline constexpr const char *memory_reclaim_file = "fs/cgroup/memory.reclaim"; // under /sys

// Asks the kernel to reclaim kb KiB from the root cgroup.  true: the kernel reclaimed all of it;
// false: it answered EAGAIN, meaning it reclaimed less than asked (mm/memcontrol.c:
// memory_reclaim()), which is a short step and not an error.
Result<bool> write_memory_reclaim(const Procfs &kernel, std::uint64_t kb);
bool reclaim_available(const Procfs &kernel);

// echo 1 > /proc/sys/vm/drop_caches: clean page cache only (not dentries and inodes).
Result<void> drop_page_cache(const Procfs &kernel);

} // namespace memtune::io
