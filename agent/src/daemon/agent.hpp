// The agent: samples the kernel, publishes the report under data/memtune/, answers Dom0's
// directives from memtune/directive/ and acts on them.  Event-loop free: event_loop.cpp calls
// these methods from sd-event callbacks, tests call them directly.
//
// Follow the data: tick() -> sample_kernel() -> core assemble_report/should_publish ->
// publish_report(), and XAPI's keys beside it (xapi_publisher.hpp); directive watch -> on_directive_event() -> core parse_directive ->
// apply_directive() -> swap/reclaim/swappiness (io) -> write_ack() + journal + on_answered.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/ack.hpp"
#include "core/config.hpp"
#include "core/directive.hpp"
#include "core/guest_metrics.hpp"
#include "core/report.hpp"
#include "core/swap_plan.hpp"
#include "daemon/init_limits_follower.hpp"
#include "daemon/xapi_publisher.hpp"
#include "io/procfs.hpp"
#include "io/swap.hpp"
#include "io/xenstore.hpp"

namespace memtune::daemon {

inline constexpr const char *report_dir = "data/memtune/";
inline constexpr const char *directive_dir = "memtune/directive";

// What a directive, a D-Bus call or a local action came to.
struct Outcome {
	AckResult result = AckResult::applied;
	std::string reason;
};

class Agent {
public:
	Agent(Config config, io::XenStore &xenstore, io::Procfs kernel, io::SwapSyscalls &swap);

	// Registers the watches (directive, own report) and reads the last answered seq from
	// data/memtune/ack/seq, so a restarted agent refuses replays too.
	io::Result<void> start();

	// Samples the kernel and publishes when core's policy says so (or force is set).
	// Returns the monotonic ms at which it wants to run again at the latest.
	std::uint64_t tick(std::uint64_t now_ms);
	// What a forced publish writes: the keys that changed since the last successful publish,
	// or every key when what xenstore holds may no longer be what the agent wrote (reconnect,
	// resume, a vanished report) or someone asked for a full report (D-Bus Refresh()).
	enum class Rewrite { changed_keys, every_key };
	// The next tick publishes even inside the minimum interval (after a reconnect, a resume,
	// a vanished report, a D-Bus Refresh(), an answered directive, a local action).
	void force_publish(std::string why, Rewrite rewrite = Rewrite::changed_keys);

	// Watch handler of memtune/directive (also runs once at registration).
	void on_directive_event();

	// Local requests (D-Bus, root only by the bus policy).  Reclaim is bounded by
	// max_reclaim_kb like Dom0's; any swap mode may be set locally (allowed_modes bounds Dom0).
	Outcome reclaim(std::uint64_t kb, const std::string &source);
	Outcome set_swap_mode(SwapMode mode, const std::string &source);

	void replace_config(Config config) { config_ = std::move(config); }
	// Init's limits follow the balloon from tick() while [init] follow_balloon says so.
	void follow_init_limits(InitLimitsFollower *follower) { init_limits_ = follower; }
	const Config &config() const { return config_; }

	// State shown on D-Bus.
	const KeyValues &published_report() const { return published_kv_; }
	const std::optional<Directive> &current_directive() const { return current_directive_; }
	const std::optional<Ack> &last_ack() const { return last_ack_; }
	SwapMode swap_mode() const { return swap_mode_; }
	std::uint64_t last_answered_seq() const { return last_answered_seq_; }
	// What /metrics shows of the agent: the last kernel sample, the last report, the counts.
	// The module's part (ModuleSample) is the exporter's to fill (daemon/metrics_exporter.hpp).
	const GuestMetrics &metrics() const { return metrics_; }

	// Called after every answered directive (D-Bus signals).
	std::function<void(const Ack &)> on_answered;
	// Called after every publish (D-Bus PropertiesChanged).
	std::function<void()> on_published;

private:
	struct KernelSample {
		Meminfo meminfo;
		Vmstat vmstat;
		MemoryPressure pressure;
		std::optional<BalloonSample> balloon;
		std::optional<std::vector<SwapDevice>> swaps;
	};

	io::Result<KernelSample> sample_kernel();
	io::Result<void> publish_report(Report report, const std::string &why);
	void check_report_present();
	Outcome apply_directive(const Directive &directive);
	Outcome apply_swappiness(std::uint32_t swappiness, std::optional<std::uint64_t> seq);
	Outcome apply_swap_mode(SwapMode mode, std::optional<std::uint64_t> seq);
	Outcome apply_reclaim(std::uint64_t kb, std::optional<std::uint64_t> seq);
	void refresh_managed_swaps();
	io::Result<void> write_ack(const Ack &ack);
	std::uint64_t mem_available_kb();
	// Logs a failure that repeats every tick once, and its end once.
	void note_trouble(const std::string &what, const std::string &message);

	std::string trouble_; // the failure last logged by note_trouble, "" when none

	Config config_;
	io::XenStore &xs_;
	io::Procfs kernel_;
	io::SwapSyscalls &swap_;

	std::optional<Vmstat> last_vmstat_;
	std::uint64_t last_vmstat_ms_ = 0;
	std::optional<Report> last_report_;
	// Set when xenstore may not hold last_report_'s values (nothing published yet, a failed
	// publish, a reconnect or resume): the next publish writes every key, not only changes.
	bool rewrite_all_ = true;
	std::uint64_t last_publish_ms_ = 0;
	std::uint64_t report_seq_ = 0;
	KeyValues published_kv_;
	bool force_ = true;
	std::string force_why_ = "first report";

	std::uint64_t last_answered_seq_ = 0;
	// The replayed seq last logged, so a replay left in place is logged once.
	std::optional<std::uint64_t> last_replay_seq_;
	std::optional<Directive> current_directive_;
	std::optional<Ack> last_ack_;
	SwapMode swap_mode_ = SwapMode::normal;
	std::vector<ManagedSwap> managed_swaps_;
	XapiPublisher xapi_;
	GuestMetrics metrics_;
	InitLimitsFollower *init_limits_ = nullptr; // not owned; nullptr: not followed
};

// Combines the outcomes of a directive's parts: all applied -> applied, none -> refused.
Outcome combine_outcomes(const std::vector<Outcome> &parts);

} // namespace memtune::daemon
