// memtunectl's plain-text tables (domains, tunables): columns padded to their widest cell, two
// spaces between columns, no trailing blanks, so the output lines up in a terminal and still
// splits on whitespace in a script.
#pragma once

#include <string>
#include <vector>

namespace memtune::cli {

enum class Align { left, right };

struct Column {
	std::string title;
	Align align = Align::left; // right for numbers, so their digits line up
};

using TableRow = std::vector<std::string>;

// The header line and one line per row, each ending in '\n'. A row shorter than the header has
// empty cells at the end; cells beyond the header are left out. Widths count bytes: callers pass
// printable ASCII (cli::printable()).
std::string format_table(const std::vector<Column> &header, const std::vector<TableRow> &rows);

// format_table() to stdout.
void print_table(const std::vector<Column> &header, const std::vector<TableRow> &rows);

} // namespace memtune::cli
