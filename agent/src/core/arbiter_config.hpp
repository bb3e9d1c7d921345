// The Dom0 arbiter's configuration: /etc/xen-memtune/arbiter.conf and arbiter.conf.d/*.conf, read
// like agent.conf (core/ini.hpp: later files override earlier ones key by key). Keys, their
// defaults, and where the defaults come from (docs/ARCHITECTURE.md, "Arbiter"):
//
//   [arbiter]
//   mode = observe                ; observe (log only), advise (directives), act (also memory)
//   enabled = yes                 ; no: the kill switch, same as observe
//   interval_s = 2                ; sampling interval
//   window_s = 10                 ; rates, await and utilisation over this moving window
//   opt_out = NAME...             ; domains the arbiter never steers (also memtune/arbiter-opt-out)
//   [detect]
//   disks = NAME...               ; /sys/block names of the shared backing devices ("" = all
//                                 ; whole disks the daemon finds)
//   min_iops = 30                 ; a rogue's backend requests per second, at least...
//   min_kbps = 1024               ; ...or its backend KiB per second
//   share = 60                    ; percent of all backend requests or sectors (>= 50)
//   await_ms = 100                ; harm: the device's await at least this...
//   await_factor = 4              ; ...and this many times its healthy baseline
//   util = 70                     ; or its utilisation (percent) at least this
//   enter = 3                     ; evaluations in a row before a domain is a rogue
//   clear = 8                     ; quiet evaluations in a row before it is cleared (> enter)
//   [remedy]
//   hold_s = 10                   ; each remedy step is held this long before the next
//   directive_lifetime_s = 30     ; expires = now + this; renewed at half of it
//   ack_timeout_s = 10            ; a directive not answered within this is a missed answer
//   host_reserve_kb = 262144      ; host free memory never given to guests
//   grant_max_kb = 1048576        ; most memory one rogue gets
//   grant_kb = 262144             ; what it gets when its report cannot size the grant
//   donor_psi = 5.00              ; neighbours below this memory PSI (some avg10) may donate
//   donor_margin_kb = 65536       ; a donor keeps this much above its floor
//   reclaim_kb = 131072           ; page cache a rogue with file pressure is asked to drop
//   refault_pps = 200             ; file pressure: refaults at least this, above swap-in
//   [rebalance]
//   enabled = no                  ; continuous rebalancing among opted-in guests
//   domains = NAME...             ; opted in (also memtune/arbiter-rebalance = 1)
//   min_kb = 131072               ; no guest below this target
//   headroom = 10                 ; percent added to a guest's working set
//   pressure_headroom = 25        ; percent added when its memory PSI is above pressure_psi
//   pressure_psi = 10.00
//   min_move_kb = 65536           ; smaller moves are ignored
//   max_move_kb = 262144          ; largest move per domain per rebalance
//   interval_s = 20               ; at most one rebalance this often
//   reversal_window_s = 300       ; at most one change of direction per domain in this window
//   stuck_after_s = 30            ; a domain not moving toward its target for this long is stuck
//   [guest]
//   stale_s = 180                 ; a report whose seq has not moved for this long is stale
//   max_seq_rate = 5              ; report seq moving faster than this per second: flooding
//   [metrics]
//   listen = 127.0.0.1:9868       ; serve /metrics there (docs/metrics.md); off: no exporter
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ini.hpp"
#include "core/metrics.hpp"
#include "core/result.hpp"

namespace memtune::arbiter {

enum class Mode { observe, advise, act };
std::string_view to_string(Mode mode);

struct Config {
	// [arbiter]
	Mode mode = Mode::observe;
	bool enabled = true;
	std::uint64_t interval_ms = 2000;
	std::uint64_t window_ms = 10000;
	std::vector<std::string> opt_out;
	// [detect]
	std::vector<std::string> disks;
	std::uint64_t min_iops = 30;
	std::uint64_t min_kbps = 1024;
	std::uint32_t share_pct = 60;
	std::uint64_t await_ms = 100;
	std::uint32_t await_factor = 4;
	std::uint32_t util_pct = 70;
	std::uint32_t enter_count = 3;
	std::uint32_t clear_count = 8;
	// [remedy]
	std::uint64_t hold_ms = 10000;
	std::uint64_t directive_lifetime_s = 30;
	std::uint64_t ack_timeout_ms = 10000;
	std::uint64_t host_reserve_kb = 262144;
	std::uint64_t grant_max_kb = 1048576;
	std::uint64_t grant_kb = 262144;
	std::uint32_t donor_psi_centi = 500;
	std::uint64_t donor_margin_kb = 65536;
	std::uint64_t reclaim_kb = 131072;
	std::uint64_t refault_pps = 200;
	// [rebalance]
	bool rebalance = false;
	std::vector<std::string> rebalance_domains;
	std::uint64_t min_kb = 131072;
	std::uint32_t headroom_pct = 10;
	std::uint32_t pressure_headroom_pct = 25;
	std::uint32_t pressure_psi_centi = 1000;
	std::uint64_t min_move_kb = 65536;
	std::uint64_t max_move_kb = 262144;
	std::uint64_t rebalance_interval_ms = 20000;
	std::uint64_t reversal_window_ms = 300000;
	std::uint64_t stuck_after_ms = 30000;
	// [guest]
	std::uint64_t stale_ms = 180000;
	std::uint64_t max_seq_rate = 5;
	// [metrics]; nullopt: no exporter. Read at start only (a SIGHUP does not move it).
	std::optional<metrics::ListenAddress> metrics_listen =
		metrics::ListenAddress{"127.0.0.1", metrics::arbiter_default_port, false};

	bool operator==(const Config &) const = default;
};

// sources[0] is arbiter.conf, the rest its drop-ins in order. No sources gives the defaults.
// An unknown section or key, a bad value or an inconsistent pair (clear <= enter, share < 50,
// window shorter than two intervals) is an Error naming the file and line.
Result<Config> parse_config(const std::vector<ConfigSource> &sources);

} // namespace memtune::arbiter
