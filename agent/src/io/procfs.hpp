// Reading and writing the kernel's text files under a configurable root, so tests point /proc
// and /sys at a temporary directory.  Parsing is core's job (core/proc*.hpp); this only moves text.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "io/result.hpp"

namespace memtune::io {

class Procfs {
public:
	explicit Procfs(std::filesystem::path proc_root = "/proc",
			std::filesystem::path sys_root = "/sys")
		: proc_root_(std::move(proc_root)), sys_root_(std::move(sys_root))
	{
	}

	// relative: "meminfo", "swaps", "vmstat", "pressure/memory", "sys/vm/swappiness"
	Result<std::string> read_proc(std::string_view relative) const;
	Result<void> write_proc(std::string_view relative, std::string_view value) const;
	// relative: "fs/cgroup/memory.reclaim", "kernel/xen_memtune/state",
	// "devices/system/xen_memory/xen_memory0/target_kb"
	Result<std::string> read_sys(std::string_view relative) const;
	Result<void> write_sys(std::string_view relative, std::string_view value) const;
	bool sys_exists(std::string_view relative) const;

	const std::filesystem::path &proc_root() const { return proc_root_; }
	const std::filesystem::path &sys_root() const { return sys_root_; }

private:
	std::filesystem::path proc_root_;
	std::filesystem::path sys_root_;
};

// The whole file as text.  Kernel files report size 0, so this reads until EOF; capped at
// 1 MiB so a hostile or runaway file cannot eat the agent's memory.
Result<std::string> read_text_file(const std::filesystem::path &path);
// One write(2) of value, as sysctl and `echo >` do: kernel files take a value per write.
Result<void> write_text_file(const std::filesystem::path &path, std::string_view value);

} // namespace memtune::io
