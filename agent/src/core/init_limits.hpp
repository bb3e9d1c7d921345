// Init's RLIMIT_NPROC and RLIMIT_SIGPENDING follow the balloon.
//
// The kernel sets both, soft and hard, once at boot from the memory it has (kernel/fork.c
// fork_init(): max_threads / 2, the same max_threads as kernel.threads-max), and every process
// inherits them from init. Nothing recomputes them after a resize: a guest booted small and
// grown keeps a small limit, one booted big and shrunk keeps a limit its memory cannot back.
// The agent sets pid 1's limits to threads-max / 2 for the current size (the module computes
// that threads-max), but only a limit that still holds the kernel's boot value or the agent's
// last write: an administrator's limit (or systemd's DefaultLimitNPROC=) wins.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace memtune {

struct ProcessLimit {
	std::uint64_t soft = 0;
	std::uint64_t hard = 0;

	bool operator==(const ProcessLimit &) const = default;
};

// Both limits for a threads-max, as fork_init() sets them: soft = hard = threads_max / 2.
ProcessLimit init_limit_for(std::uint64_t threads_max);

// What to write to one of init's limits now: `wanted` when the live limit is the kernel's boot
// value or the agent's last write and differs from it; nothing otherwise (already right, or
// someone else's limit).
std::optional<ProcessLimit> follow_limit(const ProcessLimit &live, const ProcessLimit &boot,
					 const std::optional<ProcessLimit> &last_written,
					 const ProcessLimit &wanted);

// What to write back when the agent stops and was asked to restore: the boot value, only over
// the agent's own last write.
std::optional<ProcessLimit> restore_limit(const ProcessLimit &live, const ProcessLimit &boot,
					  const std::optional<ProcessLimit> &last_written);

// The agent's last writes, kept across its restarts (a package upgrade restarts it) in a file
// under /run: "nproc SOFT HARD" and "sigpending SOFT HARD" lines, either may be missing.
struct InitLimitsWritten {
	std::optional<ProcessLimit> nproc;
	std::optional<ProcessLimit> sigpending;

	bool operator==(const InitLimitsWritten &) const = default;
};

std::string encode_init_limits_written(const InitLimitsWritten &written);
// Strict: an unknown word, a number that does not parse, a repeated line is an Error.
Result<InitLimitsWritten> parse_init_limits_written(std::string_view text);

} // namespace memtune
