#include "core/guest_metrics.hpp"

#include <algorithm>

namespace memtune {
namespace {

using metrics::Family;
using metrics::counter;
using metrics::gauge;

constexpr double kib = 1024;

// A family with one sample when value is known, none (left out) when it is not.
Family known(Family family, std::optional<double> value)
{
	if (value)
		family.add(*value);
	return family;
}

std::optional<double> kb_to_bytes(std::optional<std::uint64_t> kb)
{
	return kb ? std::optional<double>(static_cast<double>(*kb) * kib) : std::nullopt;
}

} // namespace

void DirectiveCounts::count(AckResult result)
{
	switch (result) {
	case AckResult::applied:
		applied++;
		break;
	case AckResult::partial:
		partial++;
		break;
	case AckResult::refused:
		refused++;
		break;
	}
}

std::vector<Family> guest_families(const GuestMetrics &m)
{
	std::vector<Family> f;
	if (m.meminfo) {
		const Meminfo &mi = *m.meminfo;
		f.push_back(gauge("memory_total_bytes", "MemTotal of /proc/meminfo.")
				    .add(mi.mem_total_kb * kib));
		f.push_back(gauge("memory_available_bytes", "MemAvailable of /proc/meminfo.")
				    .add(mi.mem_available_kb * kib));
		f.push_back(gauge("swap_size_bytes", "SwapTotal of /proc/meminfo.")
				    .add(mi.swap_total_kb * kib));
		f.push_back(gauge("swap_used_bytes", "SwapTotal - SwapFree of /proc/meminfo.")
				    .add((mi.swap_total_kb - std::min(mi.swap_free_kb,
								      mi.swap_total_kb)) *
					 kib));
	}
	if (m.vmstat) {
		const double page = static_cast<double>(m.page_size);
		f.push_back(counter("swap_in_bytes_total",
				    "Bytes swapped in since boot (pswpin of /proc/vmstat).")
				    .add(static_cast<double>(m.vmstat->pswpin) * page));
		f.push_back(counter("swap_out_bytes_total",
				    "Bytes swapped out since boot (pswpout of /proc/vmstat).")
				    .add(static_cast<double>(m.vmstat->pswpout) * page));
	}
	if (m.pressure) {
		const MemoryPressure &p = *m.pressure;
		f.push_back(counter("memory_pressure_stalled_seconds_total",
				    "Time some (or all, kind=full) tasks stalled on memory since "
				    "boot (total of /proc/pressure/memory).")
				    .add(p.some.total_us / 1e6, {{"kind", "some"}})
				    .add(p.full.total_us / 1e6, {{"kind", "full"}}));
		f.push_back(gauge("memory_pressure_avg10_ratio",
				  "Share of the last 10 s some (or all) tasks stalled on memory "
				  "(avg10 of /proc/pressure/memory, 0..1).")
				    .add(p.some.avg10_centi / 10000.0, {{"kind", "some"}})
				    .add(p.full.avg10_centi / 10000.0, {{"kind", "full"}}));
		f.push_back(gauge("memory_pressure_avg60_ratio",
				  "Share of the last 60 s some (or all) tasks stalled on memory "
				  "(avg60 of /proc/pressure/memory, 0..1).")
				    .add(p.some.avg60_centi / 10000.0, {{"kind", "some"}})
				    .add(p.full.avg60_centi / 10000.0, {{"kind", "full"}}));
	}
	if (m.balloon) {
		f.push_back(gauge("balloon_target_bytes",
				  "The balloon's target: the memory Xen asks this guest to use "
				  "(xen_memory0/target_kb).")
				    .add(m.balloon->target_kb * kib));
		f.push_back(gauge("balloon_current_bytes",
				  "The memory this guest has now (xen_memory0/info/current_kb).")
				    .add(m.balloon->current_kb * kib));
	}
	if (m.report)
		f.push_back(gauge("report_floor_bytes",
				  "The floor last published to Dom0: the smallest target this guest "
				  "takes without swapping (data/memtune/floor-kb).")
				    .add(m.report->floor_kb * kib));
	f.push_back(counter("reports_published_total",
			    "Reports published under data/memtune/ since the agent started.")
			    .add(static_cast<double>(m.reports_published)));
	f.push_back(counter("directives_total",
			    "Dom0 directives answered since the agent started, by result.")
			    .add(static_cast<double>(m.directives.applied), {{"result", "applied"}})
			    .add(static_cast<double>(m.directives.partial), {{"result", "partial"}})
			    .add(static_cast<double>(m.directives.refused), {{"result", "refused"}}));

	const ModuleSample &mod = m.module;
	f.push_back(gauge("module_loaded", "1 when /sys/kernel/xen_memtune/ exists.")
			    .add(mod.loaded ? 1 : 0));
	f.push_back(known(gauge("module_target_bytes",
				"The balloon target the module follows (xen_memtune/target_kb)."),
			  kb_to_bytes(mod.target_kb)));
	f.push_back(known(gauge("module_current_bytes",
				"The memory the module sees (xen_memtune/current_kb)."),
			  kb_to_bytes(mod.current_kb)));
	f.push_back(known(gauge("module_floor_bytes",
				"The balloon safety floor the module guards (xen_memtune/floor_kb)."),
			  kb_to_bytes(mod.floor_kb)));
	// The module's stats/ counters: metric, help, field.
	const struct {
		const char *name;
		const char *help;
		std::optional<std::uint64_t> ModuleSample::*field;
	} counters[] = {
		{"module_passes_total",
		 "Passes that computed and applied (or reported) values (xen_memtune/stats/applies).",
		 &ModuleSample::passes},
		{"module_target_refusals_total",
		 "memory/target values the module refused (xen_memtune/stats/rejected).",
		 &ModuleSample::target_refusals},
		{"module_guard_corrections_total",
		 "Balloon targets the guard raised, capped or put back "
		 "(xen_memtune/stats/guard_refusals).",
		 &ModuleSample::guard_corrections},
		{"module_stalls_total",
		 "Times the balloon stalled short of its target (xen_memtune/stats/stalls).",
		 &ModuleSample::stalls},
		{"module_errors_total",
		 "Failed reads or writes of a kernel value (xen_memtune/stats/errors).",
		 &ModuleSample::errors},
	};
	for (const auto &c : counters) {
		const auto &value = mod.*c.field;
		f.push_back(known(counter(c.name, c.help),
				  value ? std::optional<double>(static_cast<double>(*value))
					: std::nullopt));
	}
	f.push_back(known(gauge("module_last_apply_duration_seconds",
				"The last pass, from its first write to its last "
				"(xen_memtune/stats/apply_duration_ns)."),
			  mod.apply_duration_ns ? std::optional<double>(*mod.apply_duration_ns / 1e9)
						: std::nullopt));
	return f;
}

} // namespace memtune
