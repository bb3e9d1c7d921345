#include "core/swap_plan.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/number.hpp"

namespace memtune {

namespace {

// "/dev/xvdb" -> "xvdb": the messages name devices the way an operator says them.
std::string short_name(const std::string &device)
{
	constexpr std::string_view dev = "/dev/";
	return device.starts_with(dev) ? device.substr(dev.size()) : device;
}

// A priority as swapon would set it: nullopt for a kernel-assigned (negative) one.
std::optional<std::int32_t> settable(std::int32_t priority)
{
	if (priority < 0)
		return std::nullopt;
	return std::min(priority, max_swap_priority);
}

std::string describe(std::optional<std::int32_t> priority)
{
	return priority ? fmt::format("{}", *priority) : "kernel default";
}

struct Target {
	const ManagedSwap *swap = nullptr;
	bool fast = false;
	bool active = true;
	std::optional<std::int32_t> priority;
	std::string why;
};

// What every device should look like in this mode.
std::vector<Target> targets_for(const std::vector<ManagedSwap> &devices, SwapMode mode,
				const std::vector<std::string> &fast_patterns)
{
	std::vector<Target> targets;
	for (const auto &swap : devices) {
		Target t;
		t.swap = &swap;
		t.fast = is_fast_device(swap.device.name, fast_patterns);
		// The priority the device has or, when off, will get back: its baseline.
		t.priority = settable(swap.active ? swap.device.priority : swap.baseline_priority);
		t.active = true;
		targets.push_back(t);
	}
	if (mode == SwapMode::normal) {
		for (auto &t : targets) {
			t.priority = settable(t.swap->baseline_priority);
			t.why = "normal: baseline priority";
		}
		return targets;
	}

	// prefer-fast and avoid-disk: fast devices above every disk device.
	std::vector<Target *> fast;
	for (auto &t : targets)
		if (t.fast)
			fast.push_back(&t);
	std::sort(fast.begin(), fast.end(), [](const Target *a, const Target *b) {
		const auto pa = a->priority.value_or(-1), pb = b->priority.value_or(-1);
		return pa != pb ? pa > pb : a->swap->device.name < b->swap->device.name;
	});
	const auto nfast = static_cast<std::int32_t>(fast.size());
	// Disk devices must stay below the lowest priority a fast device can be given.
	const std::int32_t disk_cap = max_swap_priority - nfast;
	std::optional<std::int32_t> disk_max;
	for (auto &t : targets) {
		if (t.fast)
			continue;
		if (nfast > 0 && t.priority && *t.priority >= disk_cap) {
			t.priority = disk_cap - 1;
			t.why = fmt::format("{}: disk below fast devices", to_string(mode));
		}
		if (t.priority)
			disk_max = std::max(disk_max.value_or(0), *t.priority);
	}
	bool all_above = true;
	for (auto *t : fast)
		if (!t->priority || (disk_max && *t->priority <= *disk_max))
			all_above = false;
	for (std::int32_t rank = 0; rank < nfast; rank++) {
		if (!all_above)
			fast[rank]->priority = max_swap_priority - rank;
		fast[rank]->why = fmt::format("{}: {} first", to_string(mode),
					      short_name(fast[rank]->swap->device.name));
	}
	if (mode == SwapMode::avoid_disk)
		for (auto &t : targets)
			if (!t.fast) {
				t.active = false;
				t.why = "avoid-disk: no swap to disk";
			}
	return targets;
}

bool same_priority(std::int32_t current, std::optional<std::int32_t> wanted)
{
	return wanted ? current == *wanted : current < 0;
}

} // namespace

SwapPlan plan_swap(const std::vector<ManagedSwap> &devices, SwapMode mode,
		   std::uint64_t mem_available_kb, std::uint64_t margin_kb,
		   const std::vector<std::string> &fast_patterns)
{
	auto targets = targets_for(devices, mode, fast_patterns);
	SwapPlan plan;

	// 1. Devices to turn back on: they only add room, so no precondition.
	for (const auto &t : targets) {
		if (t.swap->active || !t.active)
			continue;
		SwapAction a;
		a.kind = SwapActionKind::swapon;
		a.device = t.swap->device.name;
		a.priority = t.priority;
		a.precondition = "none";
		a.why = t.why.empty() ? "back on" : t.why;
		plan.actions.push_back(std::move(a));
	}

	// 2. and 3. Priority changes, fast devices first, then swapoffs; within each, the device
	// with the fewest pages in use first. Each swapoff pulls its pages into RAM, so later
	// steps see less MemAvailable.
	std::vector<const Target *> changes;
	for (const auto &t : targets) {
		if (!t.swap->active)
			continue;
		if (!t.active || !same_priority(t.swap->device.priority, t.priority))
			changes.push_back(&t);
	}
	std::stable_sort(changes.begin(), changes.end(), [](const Target *a, const Target *b) {
		auto group = [](const Target *t) { return !t->active ? 2 : t->fast ? 0 : 1; };
		if (group(a) != group(b))
			return group(a) < group(b);
		return a->swap->device.used_kb < b->swap->device.used_kb;
	});

	std::uint64_t available = mem_available_kb;
	for (const Target *t : changes) {
		const auto &d = t->swap->device;
		const bool off = !t->active;
		// A device with nothing on it pulls nothing into RAM: it needs no margin. It is
		// also the usual prefer-fast case, an idle zram raised above a busy disk, asked
		// while the guest is short of memory (measured in the rig, arbiter-rogue: 6 MiB
		// available against the 64 MiB margin, and the guest's first relief refused).
		const std::uint64_t needs = d.used_kb ? d.used_kb + margin_kb : 0;
		const std::string verb = off ? "swapoff" : "reprioritize";
		if (available < needs) {
			plan.refusals.push_back(fmt::format("{} {} refused: {} in use, {} available, {} margin",
							    verb, short_name(d.name), format_kb(d.used_kb),
							    format_kb(available), format_kb(margin_kb)));
			continue;
		}
		available -= d.used_kb;
		SwapAction a;
		a.kind = off ? SwapActionKind::swapoff : SwapActionKind::reprioritize;
		a.device = d.name;
		a.priority = off ? std::nullopt : t->priority;
		a.old_priority = settable(d.priority);
		a.needs_available_kb = needs;
		a.precondition = needs ? fmt::format("MemAvailable >= {} ({} in use + {} margin)",
						     format_kb(needs), format_kb(d.used_kb),
						     format_kb(margin_kb))
				       : "none (nothing in use)";
		a.why = off ? t->why
			    : fmt::format("{}; priority {} -> {}", t->why, d.priority,
					  describe(t->priority));
		plan.actions.push_back(std::move(a));
	}
	return plan;
}

bool precondition_holds(const SwapAction &action, std::uint64_t mem_available_kb)
{
	return mem_available_kb >= action.needs_available_kb;
}

AckResult SwapPlan::result() const
{
	if (refusals.empty())
		return AckResult::applied;
	return actions.empty() ? AckResult::refused : AckResult::partial;
}

std::string SwapPlan::reason() const
{
	std::string out;
	for (const auto &r : refusals) {
		if (!out.empty())
			out += "; ";
		out += r;
	}
	return out;
}

} // namespace memtune
