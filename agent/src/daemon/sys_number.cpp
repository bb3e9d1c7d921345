#include "daemon/sys_number.hpp"

#include "core/number.hpp"

namespace memtune::daemon {

std::optional<std::uint64_t> read_sys_number(const io::Procfs &kernel, const std::string &relative)
{
	auto text = kernel.read_sys(relative);
	if (!text)
		return std::nullopt;
	std::string value = *text;
	while (!value.empty() && (value.back() == '\n' || value.back() == ' '))
		value.pop_back();
	auto number = parse_u64(value, relative);
	return number ? std::optional<std::uint64_t>(*number) : std::nullopt;
}

} // namespace memtune::daemon
