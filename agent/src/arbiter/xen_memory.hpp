// Xen's view of memory: every domain's current size and the host's free memory, and setting a
// domain's target. Behind an interface so the arbiter runs on libxl in Dom0 and on a JSON file
// in tests (there is no hypervisor in a test).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/result.hpp"

namespace memtune::arbiter {

struct XenDomain {
	std::uint32_t domid = 0;
	std::string name;
	std::uint64_t current_kb = 0; // pages the domain holds now
	std::uint64_t max_kb = 0;     // Xen's maxmem (static-max comes from xenstore)
};

struct XenHost {
	std::uint64_t total_kb = 0;
	std::uint64_t free_kb = 0;
	std::vector<XenDomain> domains;
};

class XenMemory {
public:
	virtual ~XenMemory() = default;
	virtual io::Result<XenHost> read() = 0;
	// As `xl mem-set DOMID KIB`: libxl writes memory/target and Xen's maxmem.
	virtual io::Result<void> set_target(std::uint32_t domid, std::uint64_t target_kb) = 0;
};

// libxl (libxenlight), as xl uses it. Needs Dom0 and root.
io::Result<std::unique_ptr<XenMemory>> open_libxl();

// For tests: reads a JSON file every time,
//   {"total_kb": N, "free_kb": N, "domains": [{"domid": 1, "name": "a", "current_kb": N}]}
// and sets a target by writing /local/domain/<domid>/memory/target through xenstore, as the
// toolstack does (the test plays the balloon by editing the file).
io::Result<std::unique_ptr<XenMemory>> open_file_memory(const std::string &path);

} // namespace memtune::arbiter
