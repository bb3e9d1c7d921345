#include "core/blockstat.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "core/number.hpp"
#include "core/text.hpp"

namespace memtune {

Result<DiskCounters> parse_disk_stat(std::string_view text)
{
	const auto lines = text::lines(text);
	if (lines.size() != 1)
		return Error{fmt::format("block stat has {} lines, expected 1", lines.size())};
	const auto fields = text::fields(lines[0]);
	if (fields.size() != 11 && fields.size() != 15 && fields.size() != 17)
		return Error{fmt::format("block stat has {} fields, expected 11, 15 or 17",
					 fields.size())};
	std::vector<std::uint64_t> n;
	for (std::size_t i = 0; i < fields.size(); i++) {
		auto v = parse_u64(fields[i], fmt::format("block stat field {}", i + 1));
		if (!v)
			return v.error();
		n.push_back(*v);
	}
	// Documentation/block/stat.rst: read I/Os, merges, sectors, ticks; write I/Os, merges,
	// sectors, ticks; in_flight; io_ticks; time_in_queue; ...
	return DiskCounters{n[0], n[2], n[3], n[4], n[6], n[7], n[9]};
}

VbdCounters &VbdCounters::operator+=(const VbdCounters &o)
{
	rd_req += o.rd_req;
	wr_req += o.wr_req;
	rd_sect += o.rd_sect;
	wr_sect += o.wr_sect;
	oo_req += o.oo_req;
	return *this;
}

Result<std::uint64_t> parse_counter(std::string_view text, std::string_view what)
{
	if (text.ends_with('\n'))
		text.remove_suffix(1);
	return parse_u64(text, what);
}

std::optional<VbdName> parse_vbd_name(std::string_view name)
{
	if (!name.starts_with("vbd-"))
		return std::nullopt;
	name.remove_prefix(4);
	const auto dash = name.find('-');
	if (dash == std::string_view::npos)
		return std::nullopt;
	auto domid = parse_u64(name.substr(0, dash), "domid");
	auto devid = parse_u64(name.substr(dash + 1), "devid");
	if (!domid || !devid || *domid > 0x7fef || *devid > 0xffffffffu)
		return std::nullopt;
	return VbdName{static_cast<std::uint32_t>(*domid), static_cast<std::uint32_t>(*devid)};
}

DiskWindow disk_window(const DiskCounters &a, const DiskCounters &b, std::uint64_t elapsed_ms)
{
	if (elapsed_ms == 0 || b.read_ios < a.read_ios || b.write_ios < a.write_ios ||
	    b.read_ticks_ms < a.read_ticks_ms || b.write_ticks_ms < a.write_ticks_ms ||
	    b.io_ticks_ms < a.io_ticks_ms)
		return {};
	const auto ios = (b.read_ios - a.read_ios) + (b.write_ios - a.write_ios);
	const auto ticks = (b.read_ticks_ms - a.read_ticks_ms) + (b.write_ticks_ms - a.write_ticks_ms);
	DiskWindow w;
	const double seconds = static_cast<double>(elapsed_ms) / 1000.0;
	w.iops = static_cast<double>(ios) / seconds;
	w.await_ms = ios ? static_cast<double>(ticks) / static_cast<double>(ios) : 0.0;
	w.util_pct = std::min(100.0, static_cast<double>(b.io_ticks_ms - a.io_ticks_ms) * 100.0 /
					     static_cast<double>(elapsed_ms));
	return w;
}

} // namespace memtune
