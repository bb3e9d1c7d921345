// xen-memtuned's /metrics: after each tick, the agent's numbers (Agent::metrics()) and the
// module's (/sys/kernel/xen_memtune/, read here) are rendered (core/guest_metrics.hpp) and
// handed to the HTTP thread (io/metrics_server.hpp). Enabled by [metrics] listen.
#pragma once

#include <memory>

#include "core/guest_metrics.hpp"
#include "daemon/agent.hpp"
#include "io/metrics_server.hpp"
#include "io/procfs.hpp"

namespace memtune::daemon {

// /sys/kernel/xen_memtune/ now: the files the metrics use, each nullopt when unreadable.
ModuleSample read_module_sample(const io::Procfs &kernel);

class GuestMetricsExporter {
public:
	GuestMetricsExporter(const Agent &agent, io::Procfs kernel,
			     std::unique_ptr<io::MetricsServer> server);
	// Renders what the agent and the module show now and publishes it.
	void refresh();

private:
	const Agent &agent_;
	io::Procfs kernel_;
	std::unique_ptr<io::MetricsServer> server_;
	std::uint64_t page_size_;
};

} // namespace memtune::daemon
