// Small line and field splitting helpers shared by the core's parsers (internal to memtune_core).
#pragma once

#include <string_view>
#include <vector>

namespace memtune::text {

// Lines split on '\n'; a final line without '\n' still counts; no empty last line is produced
// for text ending in '\n'.
std::vector<std::string_view> lines(std::string_view text);

// Fields separated by runs of spaces or tabs.
std::vector<std::string_view> fields(std::string_view line);

std::string_view trim(std::string_view s);

} // namespace memtune::text
