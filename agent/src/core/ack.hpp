// The directive acknowledgement written under data/memtune/ack/{seq,result,reason}.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/report.hpp"

namespace memtune {

enum class AckResult { applied, partial, refused };

// "applied", "partial", "refused".
std::string_view to_string(AckResult result);

struct Ack {
	std::uint64_t seq = 0;
	AckResult result = AckResult::refused;
	std::string reason; // empty for a clean "applied"
};

// Longest reason written; xenstore allows 2048 bytes per node, and the report must stay small.
inline constexpr std::size_t max_reason_bytes = 400;

// Keys relative to data/memtune/: "ack/seq", "ack/result", "ack/reason". The reason is made
// printable ASCII (others become '?') and cut to max_reason_bytes. Write in one transaction.
KeyValues encode_ack(const Ack &ack);

// The same cleaning, for reasons that go elsewhere (journal, D-Bus signal).
std::string sanitize_reason(std::string_view reason, std::size_t max_bytes = max_reason_bytes);

} // namespace memtune
