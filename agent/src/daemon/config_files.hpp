// Reads /etc/xen-memtune/agent.conf and its agent.conf.d/ drop-ins; core parses them.
#pragma once

#include <string>

#include "core/config.hpp"
#include "io/result.hpp"

namespace memtune::daemon {

// A missing main file or .d/ directory means defaults; an unreadable or invalid one is an error
// naming the file (and line, from core's parser).
io::Result<Config> load_config(const std::string &main_path);

} // namespace memtune::daemon
