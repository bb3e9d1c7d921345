#include "daemon/metrics_exporter.hpp"

#include <unistd.h>

#include "daemon/sys_number.hpp"

namespace memtune::daemon {
namespace {

constexpr const char *module_dir = "kernel/xen_memtune";

} // namespace

ModuleSample read_module_sample(const io::Procfs &kernel)
{
	ModuleSample m;
	m.loaded = kernel.sys_exists(module_dir);
	if (!m.loaded)
		return m;
	const std::string dir = std::string(module_dir) + "/";
	m.target_kb = read_sys_number(kernel, dir + "target_kb");
	m.current_kb = read_sys_number(kernel, dir + "current_kb");
	m.floor_kb = read_sys_number(kernel, dir + "floor_kb");
	m.passes = read_sys_number(kernel, dir + "stats/applies");
	m.target_refusals = read_sys_number(kernel, dir + "stats/rejected");
	m.stalls = read_sys_number(kernel, dir + "stats/stalls");
	m.errors = read_sys_number(kernel, dir + "stats/errors");
	m.guard_corrections = read_sys_number(kernel, dir + "stats/guard_refusals");
	m.apply_duration_ns = read_sys_number(kernel, dir + "stats/apply_duration_ns");
	return m;
}

GuestMetricsExporter::GuestMetricsExporter(const Agent &agent, io::Procfs kernel,
					   std::unique_ptr<io::MetricsServer> server)
	: agent_(agent), kernel_(std::move(kernel)), server_(std::move(server)),
	  page_size_(static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)))
{
}

void GuestMetricsExporter::refresh()
{
	GuestMetrics m = agent_.metrics();
	m.page_size = page_size_;
	m.module = read_module_sample(kernel_);
	server_->publish(metrics::render(guest_families(m)));
}

} // namespace memtune::daemon
