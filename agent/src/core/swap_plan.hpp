// Swap plan: which swap devices get which priority, and which go off, for a swap mode.
//
// The plan only ever names devices it was given (from /proc/swaps and the agent's own memory of
// devices it turned off): a directive carries a mode, never a device, path or command.
// Changing a priority needs swapoff + swapon, and swapoff pulls the device's used pages into RAM,
// so each swapoff is planned only when MemAvailable - margin covers the pages on it, counting the
// pages earlier steps already pulled in; a device with no pages in use needs nothing. The executor (src/io) re-checks precondition_holds()
// with a fresh MemAvailable right before each swapoff, and on any failure swaps the device back
// on with old_priority: a device is never left off after a failure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ack.hpp"
#include "core/config.hpp"
#include "core/procfs.hpp"

namespace memtune {

// A swap device the agent manages.
struct ManagedSwap {
	SwapDevice device;      // as /proc/swaps shows it; for an inactive device, as last seen
	bool active = true;     // false: the agent turned it off (avoid-disk) and remembers it
	std::int32_t baseline_priority = 0; // priority before the agent changed anything
};

enum class SwapActionKind {
	swapon,       // turn an inactive device back on with `priority`
	reprioritize, // swapoff, then swapon with `priority`; on failure swapon with old_priority
	swapoff,      // turn a disk device off (avoid-disk)
};

struct SwapAction {
	SwapActionKind kind = SwapActionKind::reprioritize;
	std::string device;
	// Priority for swapon: 0..32767, or nullopt for the kernel's own (negative) priority, i.e.
	// swapon without SWAP_FLAG_PREFER.
	std::optional<std::int32_t> priority;
	std::optional<std::int32_t> old_priority; // for the rollback swapon
	std::uint64_t needs_available_kb = 0;     // MemAvailable needed right before swapoff
	std::string precondition;                 // "MemAvailable >= 374 MiB (310 MiB in use + 64 MiB margin)"
	std::string why;                          // "prefer-fast: zram0 first"
};

struct SwapPlan {
	std::vector<SwapAction> actions;  // in order: swapons, reprioritizations, swapoffs
	std::vector<std::string> refusals;// "swapoff xvdb refused: 310 MiB in use, 220 MiB available"
	// applied: nothing refused; partial: some actions and some refusals; refused: only refusals.
	AckResult result() const;
	std::string reason() const; // refusals joined with "; "
};

// Highest priority user space may set (mm/swapfile.c: SWAP_FLAG_PRIO_MASK).
inline constexpr std::int32_t max_swap_priority = 32767;

// normal: every device back on with its baseline priority.
// prefer-fast: fast devices (Config::fast_device_patterns) above every disk device, in their
// baseline order; disk devices keep their baseline when already below, else go just below.
// avoid-disk: as prefer-fast, then every active disk device off when memory allows.
SwapPlan plan_swap(const std::vector<ManagedSwap> &devices, SwapMode mode,
		   std::uint64_t mem_available_kb, std::uint64_t margin_kb,
		   const std::vector<std::string> &fast_patterns);

bool precondition_holds(const SwapAction &action, std::uint64_t mem_available_kb);

} // namespace memtune
