// The arbiter's edges around core/arbiter.hpp: every interval it samples Dom0 (Xen memory
// through XenMemory, blkback and disk counters and PSI from sysfs/procfs, the guests' keys and
// the operator's flags from xenstore), calls the pure step(), carries out the actions it
// returns (directives through xenstore, targets through libxl), logs each decision as a
// structured journal entry and writes the status file `memtunectl arbiter` reads.
//
// Follow the data: tick() -> sample() -> arbiter::step() -> carry_out() -> journal, status,
// and /metrics (core/arbiter_metrics.hpp) when serve_metrics() was given a server.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "arbiter/xen_memory.hpp"
#include "core/arbiter.hpp"
#include "core/arbiter_metrics.hpp"
#include "io/metrics_server.hpp"
#include "io/procfs.hpp"
#include "io/xenstore.hpp"

namespace memtune::arbiter {

// The operator's per-domain flags, under the domain's memtune/ (owner Dom0, guest read-only).
inline constexpr const char *opt_out_node = "memtune/arbiter-opt-out";
inline constexpr const char *rebalance_node = "memtune/arbiter-rebalance";

struct ServicePaths {
	std::string status_file = "/run/xen-memtune/arbiter.json";
	std::string kill_switch = "/run/xen-memtune/arbiter.off";
};

class Service {
public:
	Service(Config config, io::XenStore &xenstore, XenMemory &xen, io::Procfs kernel,
		ServicePaths paths);

	// One interval. now_ms: CLOCK_MONOTONIC; now_s: seconds since the epoch.
	void tick(std::uint64_t now_ms, std::uint64_t now_s);
	void replace_config(Config config) { config_ = std::move(config); }
	const Config &config() const { return config_; }
	const State &state() const { return state_; }
	// From now on each interval renders the metrics and publishes them there.
	void serve_metrics(std::unique_ptr<io::MetricsServer> server);

private:
	io::Result<Sample> sample(std::uint64_t now_ms, std::uint64_t now_s);
	void carry_out(const Action &action);
	void write_status(const Sample &sample);
	void publish_metrics();
	// Logs a failure that repeats every interval once, and its end once.
	void note_trouble(const std::string &message);

	Config config_;
	io::XenStore &xs_;
	XenMemory &xen_;
	io::Procfs kernel_;
	ServicePaths paths_;
	State state_;
	std::string trouble_;
	// The last decisions about each domain, newest last, for `memtunectl arbiter explain`.
	std::map<std::uint32_t, std::deque<std::string>> history_;
	// For /metrics: what was counted, and the last interval's sample.
	Counters counters_;
	std::optional<Sample> last_sample_;
	std::unique_ptr<io::MetricsServer> metrics_server_;
};

} // namespace memtune::arbiter
