#include "core/procfs.hpp"

#include <map>
#include <optional>

#include <fmt/format.h>

#include "core/number.hpp"
#include "core/text.hpp"

namespace memtune {

namespace {

// Longest /proc text accepted; the real files are a few KiB. Refusing more bounds the work a
// broken or hostile source can cause.
constexpr std::size_t max_proc_text = 1 << 20;

Result<std::string_view> check_size(std::string_view text, std::string_view file)
{
	if (text.empty())
		return Error{fmt::format("{} is empty", file)};
	if (text.size() > max_proc_text)
		return Error{fmt::format("{} is too large ({} bytes)", file, text.size())};
	if (text.find('\0') != std::string_view::npos)
		return Error{fmt::format("{} contains a NUL byte", file)};
	return text;
}

// "Name:   value kB" lines into a map; duplicate names are an error.
Result<std::map<std::string_view, std::uint64_t>> meminfo_map(std::string_view text)
{
	std::map<std::string_view, std::uint64_t> values;
	std::size_t lineno = 0;
	for (auto line : text::lines(text)) {
		lineno++;
		if (text::trim(line).empty())
			continue;
		const auto colon = line.find(':');
		if (colon == std::string_view::npos || colon == 0)
			return Error{fmt::format("meminfo line {}: no \"name:\"", lineno)};
		const auto name = line.substr(0, colon);
		const auto rest = text::fields(line.substr(colon + 1));
		if (rest.empty() || rest.size() > 2 || (rest.size() == 2 && rest[1] != "kB"))
			return Error{fmt::format("meminfo line {}: expected \"<number> kB\"", lineno)};
		auto value = parse_u64(rest[0], fmt::format("meminfo line {}", lineno));
		if (!value)
			return value.error();
		if (rest.size() == 2 && *value > UINT64_MAX / 1024)
			return Error{fmt::format("meminfo line {}: value too large", lineno)};
		if (!values.emplace(name, *value).second)
			return Error{fmt::format("meminfo line {}: {} appears twice", lineno,
						 quote_for_message(name))};
	}
	return values;
}

} // namespace

Result<Meminfo> parse_meminfo(std::string_view text)
{
	if (auto ok = check_size(text, "meminfo"); !ok)
		return ok.error();
	auto parsed = meminfo_map(text);
	if (!parsed)
		return parsed.error();
	const auto &values = *parsed;

	std::string missing;
	auto get = [&](std::string_view name, bool required) -> std::uint64_t {
		const auto it = values.find(name);
		if (it != values.end())
			return it->second;
		if (required)
			missing += missing.empty() ? std::string(name) : ", " + std::string(name);
		return 0;
	};
	Meminfo m;
	m.mem_total_kb = get("MemTotal", true);
	m.mem_free_kb = get("MemFree", false);
	m.mem_available_kb = get("MemAvailable", true);
	m.buffers_kb = get("Buffers", false);
	m.cached_kb = get("Cached", false);
	m.swap_cached_kb = get("SwapCached", false);
	m.active_file_kb = get("Active(file)", false);
	m.inactive_file_kb = get("Inactive(file)", false);
	m.dirty_kb = get("Dirty", false);
	m.writeback_kb = get("Writeback", false);
	m.shmem_kb = get("Shmem", false);
	m.slab_reclaimable_kb = get("SReclaimable", false);
	m.swap_total_kb = get("SwapTotal", true);
	m.swap_free_kb = get("SwapFree", true);
	if (!missing.empty())
		return Error{fmt::format("meminfo lacks {}", missing)};
	if (m.mem_available_kb > m.mem_total_kb)
		return Error{fmt::format("meminfo MemAvailable {} exceeds MemTotal {}",
					 m.mem_available_kb, m.mem_total_kb)};
	if (m.swap_free_kb > m.swap_total_kb)
		return Error{fmt::format("meminfo SwapFree {} exceeds SwapTotal {}", m.swap_free_kb,
					 m.swap_total_kb)};
	return m;
}

Result<Vmstat> parse_vmstat(std::string_view text)
{
	if (auto ok = check_size(text, "vmstat"); !ok)
		return ok.error();
	std::map<std::string_view, std::uint64_t> values;
	std::size_t lineno = 0;
	for (auto line : text::lines(text)) {
		lineno++;
		const auto f = text::fields(line);
		if (f.empty())
			continue;
		if (f.size() != 2)
			return Error{fmt::format("vmstat line {}: expected \"name value\"", lineno)};
		// Only the counters the agent uses are parsed strictly; the others are not read.
		if (f[0] != "pswpin" && f[0] != "pswpout" && f[0] != "workingset_refault" &&
		    f[0] != "workingset_refault_anon" && f[0] != "workingset_refault_file")
			continue;
		auto value = parse_u64(f[1], fmt::format("vmstat {}", f[0]));
		if (!value)
			return value.error();
		if (!values.emplace(f[0], *value).second)
			return Error{fmt::format("vmstat line {}: {} appears twice", lineno, f[0])};
	}
	Vmstat v;
	const auto in = values.find("pswpin");
	const auto out = values.find("pswpout");
	if (in == values.end() || out == values.end())
		return Error{"vmstat lacks pswpin or pswpout"};
	v.pswpin = in->second;
	v.pswpout = out->second;
	if (auto it = values.find("workingset_refault_anon"); it != values.end())
		v.workingset_refault_anon = it->second;
	if (auto it = values.find("workingset_refault_file"); it != values.end())
		v.workingset_refault_file = it->second;
	else if (auto old = values.find("workingset_refault"); old != values.end())
		v.workingset_refault_file = old->second;
	return v;
}

namespace {

// mm/swapfile.c swap_show() prints the name with seq_file_path(..., " \t\n\\"), which writes
// those four characters as a backslash and three octal digits.
Result<std::string> unescape_swap_name(std::string_view field, std::size_t lineno)
{
	std::string out;
	for (std::size_t i = 0; i < field.size(); i++) {
		if (field[i] != '\\') {
			out += field[i];
			continue;
		}
		if (i + 3 >= field.size())
			return Error{fmt::format("swaps line {}: truncated escape in name", lineno)};
		int value = 0;
		for (std::size_t k = 1; k <= 3; k++) {
			const char c = field[i + k];
			if (c < '0' || c > '7')
				return Error{fmt::format("swaps line {}: bad escape in name", lineno)};
			value = value * 8 + (c - '0');
		}
		if (value == 0 || value > 0xff)
			return Error{fmt::format("swaps line {}: bad escape in name", lineno)};
		out += static_cast<char>(value);
		i += 3;
	}
	return out;
}

} // namespace

Result<std::vector<SwapDevice>> parse_swaps(std::string_view text)
{
	if (text.size() > max_proc_text)
		return Error{fmt::format("swaps is too large ({} bytes)", text.size())};
	if (text.find('\0') != std::string_view::npos)
		return Error{"swaps contains a NUL byte"};
	const auto all = text::lines(text);
	if (all.empty())
		return Error{"swaps is empty (not even the header)"};
	const auto header = text::fields(all[0]);
	if (header.size() != 5 || header[0] != "Filename" || header[1] != "Type" ||
	    header[2] != "Size" || header[3] != "Used" || header[4] != "Priority")
		return Error{"swaps line 1: not the \"Filename Type Size Used Priority\" header"};
	std::vector<SwapDevice> devices;
	for (std::size_t i = 1; i < all.size(); i++) {
		const std::size_t lineno = i + 1;
		const auto f = text::fields(all[i]);
		if (f.empty())
			continue;
		if (f.size() != 5)
			return Error{fmt::format("swaps line {}: expected 5 fields, found {}", lineno,
						 f.size())};
		SwapDevice d;
		auto name = unescape_swap_name(f[0], lineno);
		if (!name)
			return name.error();
		d.name = std::move(*name);
		if (d.name.empty() || d.name.size() > 4096)
			return Error{fmt::format("swaps line {}: bad name", lineno)};
		d.type = std::string(f[1]);
		auto size = parse_u64(f[2], fmt::format("swaps line {} size", lineno));
		if (!size)
			return size.error();
		auto used = parse_u64(f[3], fmt::format("swaps line {} used", lineno));
		if (!used)
			return used.error();
		auto priority = parse_i64(f[4], fmt::format("swaps line {} priority", lineno));
		if (!priority)
			return priority.error();
		if (*priority < -32768 || *priority > 32767)
			return Error{fmt::format("swaps line {}: priority {} out of range", lineno,
						 *priority)};
		if (*used > *size)
			return Error{fmt::format("swaps line {}: used {} exceeds size {}", lineno,
						 *used, *size)};
		d.size_kb = *size;
		d.used_kb = *used;
		d.priority = static_cast<std::int32_t>(*priority);
		for (const auto &seen : devices)
			if (seen.name == d.name)
				return Error{fmt::format("swaps line {}: {} appears twice", lineno,
							 quote_for_message(d.name))};
		devices.push_back(std::move(d));
	}
	return devices;
}

namespace {

Result<PsiLine> parse_psi_line(std::string_view line, std::string_view kind)
{
	const auto f = text::fields(line);
	if (f.size() != 5 || f[0] != kind)
		return Error{fmt::format("pressure: expected \"{} avg10=.. avg60=.. avg300=.. total=..\"",
					 kind)};
	const std::string_view keys[] = {"avg10=", "avg60=", "avg300=", "total="};
	std::string_view values[4];
	for (int i = 0; i < 4; i++) {
		if (f[i + 1].substr(0, keys[i].size()) != keys[i])
			return Error{fmt::format("pressure {}: expected {} in field {}", kind, keys[i],
						 i + 2)};
		values[i] = f[i + 1].substr(keys[i].size());
	}
	PsiLine p;
	std::uint32_t *avgs[] = {&p.avg10_centi, &p.avg60_centi, &p.avg300_centi};
	for (int i = 0; i < 3; i++) {
		auto v = parse_centi_percent(values[i], fmt::format("pressure {} {}", kind,
								    keys[i].substr(0, keys[i].size() - 1)));
		if (!v)
			return v.error();
		*avgs[i] = *v;
	}
	auto total = parse_u64(values[3], fmt::format("pressure {} total", kind));
	if (!total)
		return total.error();
	p.total_us = *total;
	return p;
}

} // namespace

Result<MemoryPressure> parse_memory_pressure(std::string_view text)
{
	if (auto ok = check_size(text, "pressure"); !ok)
		return ok.error();
	std::vector<std::string_view> nonempty;
	for (auto line : text::lines(text))
		if (!text::trim(line).empty())
			nonempty.push_back(line);
	if (nonempty.size() != 2)
		return Error{fmt::format("pressure: expected a \"some\" and a \"full\" line, found {} lines",
					 nonempty.size())};
	auto some = parse_psi_line(nonempty[0], "some");
	if (!some)
		return some.error();
	auto full = parse_psi_line(nonempty[1], "full");
	if (!full)
		return full.error();
	return MemoryPressure{*some, *full};
}

Result<VmstatRates> vmstat_rates(const Vmstat &before, const Vmstat &after,
				 std::uint64_t elapsed_ms)
{
	if (elapsed_ms == 0)
		return Error{"rates need two samples at least 1 ms apart"};
	const double seconds = static_cast<double>(elapsed_ms) / 1000.0;
	auto rate = [seconds](std::uint64_t a, std::uint64_t b) {
		return b >= a ? static_cast<double>(b - a) / seconds : 0.0;
	};
	VmstatRates r;
	r.swap_in_pps = rate(before.pswpin, after.pswpin);
	r.swap_out_pps = rate(before.pswpout, after.pswpout);
	r.refault_pps = rate(before.workingset_refault_anon, after.workingset_refault_anon) +
			rate(before.workingset_refault_file, after.workingset_refault_file);
	return r;
}

} // namespace memtune
