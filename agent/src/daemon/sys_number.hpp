// A number from a sysfs file ("%llu\n", as sysfs_emit writes it), for the module's files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "io/procfs.hpp"

namespace memtune::daemon {

// nullopt when the file is missing, unreadable or not one strict decimal (core/number.hpp)
// followed by at most trailing newlines or spaces.
std::optional<std::uint64_t> read_sys_number(const io::Procfs &kernel, const std::string &relative);

} // namespace memtune::daemon
