#include "io/swap.hpp"

#include <sys/swap.h>

#include <pthread.h>

namespace memtune::io {

Result<void> KernelSwap::swapon(const std::string &device, SwapPriority priority)
{
	int flags = 0;
	if (priority)
		flags = SWAP_FLAG_PREFER |
			((*priority << SWAP_FLAG_PRIO_SHIFT) & SWAP_FLAG_PRIO_MASK);
	if (::swapon(device.c_str(), flags) != 0)
		return errno_error("swapon " + device);
	return {};
}

Result<void> KernelSwap::swapoff(const std::string &device)
{
	if (::swapoff(device.c_str()) != 0)
		return errno_error("swapoff " + device);
	return {};
}

TerminationSignalsBlocked::TerminationSignalsBlocked()
{
	sigset_t block;
	sigemptyset(&block);
	for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT})
		sigaddset(&block, sig);
	pthread_sigmask(SIG_BLOCK, &block, &previous_);
}

TerminationSignalsBlocked::~TerminationSignalsBlocked()
{
	pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

SwapPriority restorable_priority(long proc_swaps_priority)
{
	if (proc_swaps_priority < 0)
		return std::nullopt;
	if (proc_swaps_priority > SWAP_FLAG_PRIO_MASK)
		return SWAP_FLAG_PRIO_MASK;
	return static_cast<int>(proc_swaps_priority);
}

Result<void> change_swap_priority(SwapSyscalls &swap, const std::string &device,
				  SwapPriority old_priority, SwapPriority new_priority)
{
	TerminationSignalsBlocked critical;
	if (auto off = swap.swapoff(device); !off)
		return off;
	auto on = swap.swapon(device, new_priority);
	if (on)
		return {};
	Error error = on.error();
	if (swap.swapon(device, old_priority)) {
		error.message += "; swapped on again with its old priority";
		return error;
	}
	if (old_priority && swap.swapon(device, std::nullopt)) {
		error.message += "; swapped on again with the default priority";
		return error;
	}
	error.message += "; could not swap it on again: device is OFF";
	return error;
}

Result<void> turn_swap_off(SwapSyscalls &swap, const std::string &device)
{
	TerminationSignalsBlocked critical;
	return swap.swapoff(device);
}

} // namespace memtune::io
