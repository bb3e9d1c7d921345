// Dom0's directive, read from memtune/directive/{seq,expires,swap-mode,reclaim-kb,swappiness}
// (owner dom0, read-only for the guest), validated against the local config.
//
// Node meanings (protocol v1):
//   seq         required, decimal 1..2^64-1, strictly greater than the last seq answered
//   expires     required, seconds since the epoch (CLOCK_REALTIME); refused when <= now or more
//               than Config::max_lifetime_s in the future
//   swap-mode   optional: normal | prefer-fast | avoid-disk, must be in allowed_modes
//   reclaim-kb  optional: KiB of page cache to give back, 0..max_reclaim_kb (0: none)
//   swappiness  optional: 0..200 and within [swappiness_min, swappiness_max]
// At least one of swap-mode, reclaim-kb, swappiness must be present.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "core/config.hpp"

namespace memtune {

// Each node's raw value as read; nullopt when the node does not exist. May hold any bytes.
struct RawDirective {
	std::optional<std::string> seq;
	std::optional<std::string> expires;
	std::optional<std::string> swap_mode;
	std::optional<std::string> reclaim_kb;
	std::optional<std::string> swappiness;
};

struct Directive {
	std::uint64_t seq = 0;
	std::uint64_t expires_s = 0;
	std::optional<SwapMode> swap_mode;
	std::optional<std::uint64_t> reclaim_kb;
	std::optional<std::uint32_t> swappiness;
};

enum class RefusalKind {
	malformed,   // a node is not what the protocol allows (bad number, unknown mode, missing)
	expired,     // expires <= now
	replayed,    // seq < last answered seq: an old directive came back
	out_of_range,// a value outside the local config's bounds
	not_allowed, // swap-mode not in allowed_modes
	disabled,    // honour_dom0 = no
	empty,       // no action requested
};

struct Refusal {
	RefusalKind kind = RefusalKind::malformed;
	std::optional<std::uint64_t> seq; // the directive's seq when it parsed, for the ack
	std::string reason;               // words, safe to write to xenstore and the journal
};

// No directive nodes at all (nothing to do, nothing to answer).
struct NoDirective {};
// seq equal to the last seq answered: the watch fired again (watches fire on registration and
// spuriously); the directive was answered already and must not be acted on or answered again.
struct AlreadyAnswered {
	std::uint64_t seq = 0;
};

using DirectiveOutcome = std::variant<Directive, Refusal, NoDirective, AlreadyAnswered>;

// now_s: seconds since the epoch (CLOCK_REALTIME). last_answered_seq: the seq of the last ack
// written (applied, partial or refused), 0 when none.
DirectiveOutcome parse_directive(const RawDirective &raw, std::uint64_t now_s,
				 std::uint64_t last_answered_seq, const Config &config);

} // namespace memtune
