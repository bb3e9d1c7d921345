#include "cli/table.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace memtune::cli {

std::string format_table(const std::vector<Column> &header, const std::vector<TableRow> &rows)
{
	std::vector<std::size_t> width(header.size());
	for (std::size_t i = 0; i < header.size(); i++)
		width[i] = header[i].title.size();
	for (const auto &row : rows)
		for (std::size_t i = 0; i < std::min(row.size(), width.size()); i++)
			width[i] = std::max(width[i], row[i].size());

	std::string out;
	auto add_line = [&](auto cell_at) {
		std::string line;
		for (std::size_t i = 0; i < header.size(); i++) {
			if (i > 0)
				line += "  ";
			if (header[i].align == Align::right)
				line += fmt::format("{:>{}}", cell_at(i), width[i]);
			else
				line += fmt::format("{:<{}}", cell_at(i), width[i]);
		}
		// Padding after the last cell is noise in a pipe and in a diff.
		line.erase(line.find_last_not_of(' ') + 1);
		out += line;
		out += '\n';
	};
	add_line([&](std::size_t i) -> const std::string & { return header[i].title; });
	static const std::string empty;
	for (const auto &row : rows)
		add_line([&](std::size_t i) -> const std::string & {
			return i < row.size() ? row[i] : empty;
		});
	return out;
}

void print_table(const std::vector<Column> &header, const std::vector<TableRow> &rows)
{
	fmt::print("{}", format_table(header, rows));
}

} // namespace memtune::cli
