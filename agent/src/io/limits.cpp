#include "io/limits.hpp"

#include <sys/resource.h>

#include <string>

namespace memtune::io {
namespace {

constexpr pid_t init_pid = 1;

std::string resource_name(int resource)
{
	return resource == RLIMIT_NPROC ? "RLIMIT_NPROC" : resource == RLIMIT_SIGPENDING
								   ? "RLIMIT_SIGPENDING"
								   : std::to_string(resource);
}

} // namespace

Result<ProcessLimit> InitProcessLimits::get(int resource)
{
	struct rlimit64 old{};
	if (prlimit64(init_pid, static_cast<__rlimit_resource>(resource), nullptr, &old) != 0)
		return errno_error("prlimit pid 1 " + resource_name(resource));
	return ProcessLimit{old.rlim_cur, old.rlim_max};
}

Result<void> InitProcessLimits::set(int resource, const ProcessLimit &limit)
{
	const struct rlimit64 wanted{limit.soft, limit.hard};
	if (prlimit64(init_pid, static_cast<__rlimit_resource>(resource), &wanted, nullptr) != 0)
		return errno_error("prlimit pid 1 " + resource_name(resource) + " to " +
				   std::to_string(limit.soft));
	return {};
}

} // namespace memtune::io
