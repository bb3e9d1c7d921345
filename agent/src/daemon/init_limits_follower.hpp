// Keeps pid 1's RLIMIT_NPROC and RLIMIT_SIGPENDING at threads-max / 2 for the current size
// (core/init_limits.hpp says which limits are the agent's to change). It acts once the module
// settled a resize: when tunables/threads_max/computed changed and the module is idle. The
// agent's last writes live in a file under /run so a restart (a package upgrade) still knows
// them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/init_limits.hpp"
#include "io/limits.hpp"
#include "io/procfs.hpp"

namespace memtune::daemon {

class InitLimitsFollower {
public:
	InitLimitsFollower(io::ProcessLimits &limits, std::filesystem::path state_file);

	// Every tick: reads the module's threads_max and state from sysfs, acts on a change.
	void tick(const io::Procfs &kernel);
	// When the agent stops and the config asks for it: the boot values back, over ours only.
	void restore(const io::Procfs &kernel);

private:
	struct ModuleThreads {
		std::uint64_t computed = 0;
		std::uint64_t boot = 0;
	};
	std::optional<ModuleThreads> read_module(const io::Procfs &kernel, bool settled_only);
	void follow(int resource, std::optional<ProcessLimit> &written, const ProcessLimit &boot,
		    const ProcessLimit &wanted);
	void save();
	void note(const std::string &what); // logs a message once until it changes

	io::ProcessLimits &limits_;
	std::filesystem::path state_file_;
	InitLimitsWritten written_;
	std::optional<std::uint64_t> acted_on_; // the computed threads_max last acted on
	std::string last_note_;
};

} // namespace memtune::daemon
