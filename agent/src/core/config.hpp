// Local configuration: the bounds on everything Dom0 may ask, and the report's pacing.
//
// Read from /etc/xen-memtune/agent.conf and then each /etc/xen-memtune/agent.conf.d/*.conf in
// name order, later files overriding earlier ones key by key. The caller (src/io) reads the
// files; parse_config() takes their names and text, so it stays pure and testable.
//
// Format (INI, read by core/ini.hpp with inih): a line starting with '#' or ';' is a comment; after a value only
// " ;" starts one (inih's inline rule), so "yes # why" is a bad value. Booleans yes/no, true/false,
// on/off, 1/0. Keys with their defaults:
//
//   [directives]
//   honour_dom0 = yes                 ; obey Dom0 directives at all
//   allowed_modes = normal prefer-fast avoid-disk
//   max_reclaim_kb = 1048576          ; largest reclaim-kb one directive may ask
//   swappiness_min = 0                ; swappiness a directive may set: [min, max], max <= 200
//   swappiness_max = 100
//   max_lifetime_s = 86400            ; expires may be at most this far in the future
//   [reclaim]
//   drop_caches = no                  ; fall back to /proc/sys/vm/drop_caches without memory.reclaim
//   step_kb = 65536                   ; memory.reclaim bytes per step, in KiB
//   psi_stop = 20.00                  ; stop when memory PSI some avg10 passes this percentage
//   [swap]
//   safety_margin_kb = 65536          ; MemAvailable that must remain after a swapoff
//   fast_devices = /dev/zram*         ; space-separated fnmatch(3) patterns for fast swap
//   [report]
//   heartbeat_s = 60
//   min_interval_s = 5
//   mem_delta_kb = 32768
//   swap_delta_kb = 16384
//   psi_delta = 5.00
//   rate_delta_pps = 100
//   floor_margin_kb = 65536           ; headroom the published floor keeps
//   [xapi]
//   enabled = yes                     ; also publish XAPI's keys (core/xapi_keys.hpp)
//   interval_s = 60                   ; their cadence (XAPI's agents: 60-120 s)
//   [init]
//   follow_balloon = yes              ; pid 1's RLIMIT_NPROC/SIGPENDING follow threads-max / 2
//   restore_on_stop = no              ; put the boot values back when the agent stops
//   [metrics]
//   listen = off                      ; or 127.0.0.1:9867: serve /metrics (docs/metrics.md)
//
// An unknown section or key, a bad value or an inconsistent pair (swappiness_min > max) is an
// Error naming the file and line: "/etc/xen-memtune/agent.conf.d/10-site.conf:4: ...".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ini.hpp"
#include "core/metrics.hpp"
#include "core/report.hpp"
#include "core/result.hpp"
#include "core/xapi_keys.hpp"

namespace memtune {

enum class SwapMode { normal, prefer_fast, avoid_disk };

// "normal", "prefer-fast", "avoid-disk" (the protocol's words).
std::string_view to_string(SwapMode mode);
Result<SwapMode> parse_swap_mode(std::string_view text);

struct Config {
	// [directives]
	bool honour_dom0 = true;
	std::vector<SwapMode> allowed_modes = {SwapMode::normal, SwapMode::prefer_fast,
					       SwapMode::avoid_disk};
	std::uint64_t max_reclaim_kb = 1048576;
	std::uint32_t swappiness_min = 0;
	std::uint32_t swappiness_max = 100;
	std::uint64_t max_lifetime_s = 86400;
	// [reclaim]
	bool drop_caches_allowed = false;
	std::uint64_t reclaim_step_kb = 65536;
	std::uint32_t reclaim_psi_stop_centi = 2000;
	// [swap]
	std::uint64_t swap_safety_margin_kb = 65536;
	std::vector<std::string> fast_device_patterns = {"/dev/zram*"};
	// [report]
	PublishPolicy publish;
	std::uint64_t floor_margin_kb = 65536;
	// [xapi]
	XapiPolicy xapi;
	// [init]
	bool init_limits_follow = true;
	bool init_limits_restore_on_stop = false;
	// [metrics]; nullopt: no exporter. Read at start only (a SIGHUP does not move it).
	std::optional<metrics::ListenAddress> metrics_listen;

	bool mode_allowed(SwapMode mode) const;
};

// sources[0] is the main file, the rest drop-ins already in order (see order_dropins).
// No sources at all gives the defaults.
Result<Config> parse_config(const std::vector<ConfigSource> &sources);

// From a .d/ directory listing (file names, not paths) to the drop-ins to read, in order:
// names ending in ".conf" and not starting with '.', sorted bytewise.
std::vector<std::string> order_dropins(std::vector<std::string> names);

// True when device (a /proc/swaps name) matches one of the fast-device patterns.
bool is_fast_device(std::string_view device, const std::vector<std::string> &patterns);

// Total size of the devices in /proc/swaps that match the fast-device patterns, KiB.
std::uint64_t fast_swap_kb(const std::vector<SwapDevice> &devices,
			   const std::vector<std::string> &patterns);

} // namespace memtune
