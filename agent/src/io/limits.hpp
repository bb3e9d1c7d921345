// pid 1's resource limits through prlimit(2): the edge of core/init_limits.
#pragma once

#include "core/init_limits.hpp"
#include "io/result.hpp"

namespace memtune::io {

// One process's limits, behind an interface so tests read and refuse them.
class ProcessLimits {
public:
	virtual ~ProcessLimits() = default;
	// resource: RLIMIT_NPROC, RLIMIT_SIGPENDING.
	virtual Result<ProcessLimit> get(int resource) = 0;
	virtual Result<void> set(int resource, const ProcessLimit &limit) = 0;
};

// prlimit(2) on pid 1. Raising a hard limit needs CAP_SYS_RESOURCE; the agent runs as root,
// like init, so no other check applies.
class InitProcessLimits final : public ProcessLimits {
public:
	Result<ProcessLimit> get(int resource) override;
	Result<void> set(int resource, const ProcessLimit &limit) override;
};

} // namespace memtune::io
