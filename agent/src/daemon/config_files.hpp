// Reads /etc/xen-memtune/agent.conf and its agent.conf.d/ drop-ins; core parses them.
#pragma once

#include <string>
#include <vector>

#include "core/config.hpp"
#include "io/result.hpp"

namespace memtune::daemon {

// The main file and its .d/*.conf drop-ins in order, as text for a core parser (agent.conf,
// arbiter.conf). A missing main file or .d/ directory reads as nothing; an unreadable one is an
// error naming the file.
io::Result<std::vector<ConfigSource>> read_config_sources(const std::string &main_path);

// A missing main file or .d/ directory means defaults; an unreadable or invalid one is an error
// naming the file (and line, from core's parser).
io::Result<Config> load_config(const std::string &main_path);

} // namespace memtune::daemon
