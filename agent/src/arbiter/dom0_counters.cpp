#include "arbiter/dom0_counters.hpp"

#include <filesystem>

#include "core/procfs.hpp"

namespace memtune::arbiter {

std::map<std::uint32_t, VbdCounters> read_vbds(const io::Procfs &kernel)
{
	std::map<std::uint32_t, VbdCounters> vbds;
	const auto dir = kernel.sys_root() / "bus/xen-backend/devices";
	std::error_code ec;
	for (const auto &entry : std::filesystem::directory_iterator(dir, ec)) {
		const auto name = parse_vbd_name(entry.path().filename().string());
		if (!name)
			continue;
		VbdCounters c;
		bool complete = true;
		for (auto [file, field] : {std::pair{"rd_req", &c.rd_req}, {"wr_req", &c.wr_req},
					   {"rd_sect", &c.rd_sect}, {"wr_sect", &c.wr_sect},
					   {"oo_req", &c.oo_req}}) {
			auto text = io::read_text_file(entry.path() / "statistics" / file);
			auto n = text ? parse_counter(*text, file) : Result<std::uint64_t>(Error{});
			if (!n) {
				complete = false;
				break;
			}
			*field = *n;
		}
		if (complete)
			vbds[name->domid] += c;
	}
	return vbds;
}

io::Result<std::map<std::string, DiskCounters>> read_disks(const io::Procfs &kernel,
							   const std::vector<std::string> &names)
{
	const auto block = kernel.sys_root() / "block";
	std::vector<std::string> chosen = names;
	if (chosen.empty()) {
		std::error_code ec;
		for (const auto &entry : std::filesystem::directory_iterator(block, ec))
			if (std::filesystem::exists(entry.path() / "device"))
				chosen.push_back(entry.path().filename().string());
	}
	std::map<std::string, DiskCounters> disks;
	for (const auto &name : chosen) {
		auto text = io::read_text_file(block / name / "stat");
		if (!text)
			return text.error();
		auto parsed = parse_disk_stat(*text);
		if (!parsed)
			return io::Error{EINVAL, (block / name / "stat").string() + ": " +
							 parsed.error().message};
		disks[name] = *parsed;
	}
	return disks;
}

std::uint32_t read_host_psi(const io::Procfs &kernel)
{
	auto text = kernel.read_proc("pressure/memory");
	if (!text)
		return 0;
	auto psi = parse_memory_pressure(*text);
	return psi ? psi->some.avg10_centi : 0;
}

} // namespace memtune::arbiter
