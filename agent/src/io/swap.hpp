// Swap actions: swapon(2)/swapoff(2) on devices the guest already has.  The only way to change a
// swap device's priority is swapoff then swapon, so a change is a critical section: it runs with
// the termination signals blocked and, if the new swapon fails, swaps the device on again with
// its old priority.  A device is never left off because of a failure or a SIGTERM.
#pragma once

#include <csignal>
#include <optional>
#include <string>

#include "io/result.hpp"

namespace memtune::io {

// swapon priority: a value in 0..32767 (SWAP_FLAG_PREFER), or none for the kernel's default
// (which /proc/swaps shows as a negative number, -2, -3, ...).
using SwapPriority = std::optional<int>;

// The two system calls, behind an interface so tests count and fail them.
class SwapSyscalls {
public:
	virtual ~SwapSyscalls() = default;
	virtual Result<void> swapon(const std::string &device, SwapPriority priority) = 0;
	virtual Result<void> swapoff(const std::string &device) = 0;
};

// The real swapon(2)/swapoff(2).  Needs CAP_SYS_ADMIN.
class KernelSwap final : public SwapSyscalls {
public:
	Result<void> swapon(const std::string &device, SwapPriority priority) override;
	Result<void> swapoff(const std::string &device) override;
};

// Blocks SIGTERM, SIGINT, SIGHUP and SIGQUIT for its lifetime; signals that arrive meanwhile
// stay pending and are delivered (or read from the event loop's signalfd) afterwards.
class TerminationSignalsBlocked {
public:
	TerminationSignalsBlocked();
	~TerminationSignalsBlocked();
	TerminationSignalsBlocked(const TerminationSignalsBlocked &) = delete;
	TerminationSignalsBlocked &operator=(const TerminationSignalsBlocked &) = delete;

private:
	sigset_t previous_;
};

// The priority as /proc/swaps printed it, turned into what swapon must be given to restore it:
// kernel-assigned (negative) priorities come back as "default".
SwapPriority restorable_priority(long proc_swaps_priority);

// swapoff + swapon(new_priority).  If swapon fails, swapon(old_priority) is tried, then
// swapon(default); the error says what happened.  If swapoff fails the kernel keeps the device on
// (mm/swapfile.c reinserts it) and nothing more is tried.
Result<void> change_swap_priority(SwapSyscalls &swap, const std::string &device,
				  SwapPriority old_priority, SwapPriority new_priority);

// swapoff of one device (avoid-disk).  On failure the kernel keeps the device on.
Result<void> turn_swap_off(SwapSyscalls &swap, const std::string &device);

} // namespace memtune::io
