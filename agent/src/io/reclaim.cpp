#include "io/reclaim.hpp"

#include <string>

namespace memtune::io {

Result<bool> write_memory_reclaim(const Procfs &kernel, std::uint64_t kb)
{
	if (kb == 0)
		return true;
	// memory.reclaim takes bytes (memparse: suffixes allowed); KiB -> "<n>K" avoids overflow.
	auto written = kernel.write_sys(memory_reclaim_file, std::to_string(kb) + "K");
	if (written)
		return true;
	if (written.error().code == EAGAIN)
		return false;
	return written.error();
}

bool reclaim_available(const Procfs &kernel)
{
	return kernel.sys_exists(memory_reclaim_file);
}

Result<void> drop_page_cache(const Procfs &kernel)
{
	return kernel.write_proc("sys/vm/drop_caches", "1");
}

} // namespace memtune::io
