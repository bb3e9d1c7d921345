#include "core/swap_plan.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace memtune {
namespace {

constexpr std::uint64_t MiB = 1024; // in KiB
const std::vector<std::string> zram = {"/dev/zram*"};

ManagedSwap swap(std::string name, std::int32_t priority, std::uint64_t used_kb,
		 bool active = true, std::optional<std::int32_t> baseline = std::nullopt)
{
	ManagedSwap s;
	s.device.name = std::move(name);
	s.device.type = "partition";
	s.device.size_kb = 1024 * MiB;
	s.device.used_kb = used_kb;
	s.device.priority = priority;
	s.active = active;
	s.baseline_priority = baseline.value_or(priority);
	return s;
}

// Every device a plan names came from its input: a directive can never introduce one.
void expect_only_known_devices(const SwapPlan &plan, const std::vector<ManagedSwap> &devices)
{
	std::set<std::string> known;
	for (const auto &d : devices)
		known.insert(d.device.name);
	for (const auto &a : plan.actions)
		EXPECT_TRUE(known.count(a.device)) << a.device;
}

TEST(SwapPlan, PreferFastRaisesZramAboveDisk)
{
	const std::vector<ManagedSwap> devices = {swap("/dev/xvdb", -2, 310 * MiB),
						  swap("/dev/zram0", -3, 0)};
	const auto plan = plan_swap(devices, SwapMode::prefer_fast, 900 * MiB, 64 * MiB, zram);
	ASSERT_EQ(plan.actions.size(), 1u);
	const auto &a = plan.actions[0];
	EXPECT_EQ(a.kind, SwapActionKind::reprioritize);
	EXPECT_EQ(a.device, "/dev/zram0");
	EXPECT_EQ(a.priority, 32767);
	EXPECT_EQ(a.old_priority, std::nullopt); // it had a kernel-assigned one
	EXPECT_EQ(a.needs_available_kb, 0u);
	EXPECT_EQ(a.precondition, "none (nothing in use)");
	EXPECT_EQ(a.why, "prefer-fast: zram0 first; priority -3 -> 32767");
	EXPECT_EQ(plan.result(), AckResult::applied);
	EXPECT_EQ(plan.reason(), "");
	expect_only_known_devices(plan, devices);
}

// The rig's rogue (arbiter-rogue): 256 MiB, swapping onto its disk, 6 MiB available when
// prefer-fast came. Raising the empty zram pulls nothing in, so it goes ahead; a device with
// pages on it still needs them plus the margin.
TEST(SwapPlan, EmptyDeviceNeedsNoMarginUnderPressure)
{
	const std::vector<ManagedSwap> devices = {swap("/dev/xvda", 20, 165 * MiB),
						  swap("/dev/zram0", 10, 0)};
	const auto fast = plan_swap(devices, SwapMode::prefer_fast, 6 * MiB, 64 * MiB, zram);
	ASSERT_EQ(fast.actions.size(), 1u);
	EXPECT_EQ(fast.actions[0].device, "/dev/zram0");
	EXPECT_EQ(fast.actions[0].priority, 32767);
	EXPECT_TRUE(precondition_holds(fast.actions[0], 0));
	EXPECT_EQ(fast.result(), AckResult::applied);
	const auto off = plan_swap(devices, SwapMode::avoid_disk, 6 * MiB, 64 * MiB, zram);
	ASSERT_EQ(off.actions.size(), 1u);
	EXPECT_EQ(off.actions[0].device, "/dev/zram0");
	EXPECT_EQ(off.result(), AckResult::partial);
	EXPECT_EQ(off.reason(), "swapoff xvda refused: 165 MiB in use, 6 MiB available, 64 MiB margin");
	// One page in use is a page to pull in: the margin applies.
	const std::vector<ManagedSwap> used = {swap("/dev/xvda", 20, 165 * MiB),
					       swap("/dev/zram0", 10, 4)};
	EXPECT_EQ(plan_swap(used, SwapMode::prefer_fast, 6 * MiB, 64 * MiB, zram).result(),
		  AckResult::refused);
}

TEST(SwapPlan, PreferFastAlreadyInPlaceDoesNothing)
{
	const std::vector<ManagedSwap> devices = {swap("/dev/xvdb", -2, 310 * MiB),
						  swap("/dev/zram0", 100, 0)};
	const auto plan = plan_swap(devices, SwapMode::prefer_fast, 900 * MiB, 64 * MiB, zram);
	EXPECT_TRUE(plan.actions.empty());
	EXPECT_EQ(plan.result(), AckResult::applied);
}

TEST(SwapPlan, AvoidDiskSwapsDiskOffWhenMemoryAllows)
{
	const std::vector<ManagedSwap> devices = {swap("/dev/xvdb", -2, 310 * MiB),
						  swap("/dev/zram0", -3, 0)};
	const auto plan = plan_swap(devices, SwapMode::avoid_disk, 900 * MiB, 64 * MiB, zram);
	ASSERT_EQ(plan.actions.size(), 2u);
	EXPECT_EQ(plan.actions[0].kind, SwapActionKind::reprioritize);
	EXPECT_EQ(plan.actions[0].device, "/dev/zram0");
	EXPECT_EQ(plan.actions[1].kind, SwapActionKind::swapoff);
	EXPECT_EQ(plan.actions[1].device, "/dev/xvdb");
	EXPECT_EQ(plan.actions[1].needs_available_kb, 374 * MiB);
	EXPECT_EQ(plan.actions[1].why, "avoid-disk: no swap to disk");
	EXPECT_EQ(plan.result(), AckResult::applied);
	expect_only_known_devices(plan, devices);
}

TEST(SwapPlan, AvoidDiskRefusedWithTheNumbers)
{
	const std::vector<ManagedSwap> devices = {swap("/dev/xvdb", -2, 310 * MiB),
						  swap("/dev/zram0", 100, 0)};
	const auto plan = plan_swap(devices, SwapMode::avoid_disk, 220 * MiB, 64 * MiB, zram);
	EXPECT_TRUE(plan.actions.empty());
	EXPECT_EQ(plan.result(), AckResult::refused);
	EXPECT_EQ(plan.reason(),
		  "swapoff xvdb refused: 310 MiB in use, 220 MiB available, 64 MiB margin");
}

TEST(SwapPlan, EarlierSwapoffsUseUpMemoryForLaterOnes)
{
	// xvdc (10 MiB) goes first and pulls its pages into RAM: 300 - 10 = 290 MiB are left,
	// short of xvdb's 310 + 64.
	const std::vector<ManagedSwap> devices = {swap("/dev/xvdb", -2, 310 * MiB),
						  swap("/dev/xvdc", -3, 10 * MiB)};
	const auto plan = plan_swap(devices, SwapMode::avoid_disk, 300 * MiB, 64 * MiB, zram);
	ASSERT_EQ(plan.actions.size(), 1u);
	EXPECT_EQ(plan.actions[0].device, "/dev/xvdc");
	EXPECT_EQ(plan.result(), AckResult::partial);
	EXPECT_EQ(plan.reason(),
		  "swapoff xvdb refused: 310 MiB in use, 290 MiB available, 64 MiB margin");
}

TEST(SwapPlan, ReprioritizationsAreCumulativeToo)
{
	const std::vector<ManagedSwap> devices = {swap("/dev/xvdb", 50, 0),
						  swap("/dev/zram0", 10, 100 * MiB),
						  swap("/dev/zram1", 5, 100 * MiB)};
	const auto plan = plan_swap(devices, SwapMode::prefer_fast, 250 * MiB, 64 * MiB, zram);
	ASSERT_EQ(plan.actions.size(), 1u);
	EXPECT_EQ(plan.actions[0].device, "/dev/zram0");
	EXPECT_EQ(plan.actions[0].priority, 32767);
	EXPECT_EQ(plan.actions[0].old_priority, 10);
	ASSERT_EQ(plan.refusals.size(), 1u);
	EXPECT_EQ(plan.refusals[0],
		  "reprioritize zram1 refused: 100 MiB in use, 150 MiB available, 64 MiB margin");
	EXPECT_EQ(plan.result(), AckResult::partial);
}

TEST(SwapPlan, NormalRestoresBaselineAndTurnsDisksBackOn)
{
	const std::vector<ManagedSwap> devices = {swap("/dev/xvdb", -2, 0, false, -2),
						  swap("/dev/zram0", 32767, 20 * MiB, true, 100)};
	const auto plan = plan_swap(devices, SwapMode::normal, 100 * MiB, 64 * MiB, zram);
	ASSERT_EQ(plan.actions.size(), 2u);
	EXPECT_EQ(plan.actions[0].kind, SwapActionKind::swapon);
	EXPECT_EQ(plan.actions[0].device, "/dev/xvdb");
	EXPECT_EQ(plan.actions[0].priority, std::nullopt);
	EXPECT_EQ(plan.actions[0].needs_available_kb, 0u);
	EXPECT_EQ(plan.actions[1].kind, SwapActionKind::reprioritize);
	EXPECT_EQ(plan.actions[1].device, "/dev/zram0");
	EXPECT_EQ(plan.actions[1].priority, 100);
	EXPECT_EQ(plan.actions[1].old_priority, 32767);
	EXPECT_EQ(plan.result(), AckResult::applied);
	expect_only_known_devices(plan, devices);
}

TEST(SwapPlan, NormalWithEverythingAtBaselineDoesNothing)
{
	const std::vector<ManagedSwap> devices = {swap("/dev/xvdb", -2, 300 * MiB),
						  swap("/dev/zram0", 100, 0)};
	EXPECT_TRUE(plan_swap(devices, SwapMode::normal, 0, 64 * MiB, zram).actions.empty());
}

TEST(SwapPlan, AvoidDiskKeepsRememberedDisksOff)
{
	const std::vector<ManagedSwap> devices = {swap("/dev/xvdb", -2, 0, false),
						  swap("/dev/zram0", 100, 0)};
	const auto plan = plan_swap(devices, SwapMode::avoid_disk, 500 * MiB, 64 * MiB, zram);
	EXPECT_TRUE(plan.actions.empty());
	EXPECT_EQ(plan.result(), AckResult::applied);
}

TEST(SwapPlan, PreferFastBringsRememberedDiskBackBelowFast)
{
	const std::vector<ManagedSwap> devices = {swap("/dev/xvdb", 5, 0, false, 5),
						  swap("/dev/zram0", 100, 0)};
	const auto plan = plan_swap(devices, SwapMode::prefer_fast, 500 * MiB, 64 * MiB, zram);
	ASSERT_EQ(plan.actions.size(), 1u);
	EXPECT_EQ(plan.actions[0].kind, SwapActionKind::swapon);
	EXPECT_EQ(plan.actions[0].priority, 5);
}

TEST(SwapPlan, DiskAtTopPriorityIsMovedBelowFast)
{
	const std::vector<ManagedSwap> devices = {swap("/dev/xvdb", 32767, 0),
						  swap("/dev/zram0", 32767, 0)};
	const auto plan = plan_swap(devices, SwapMode::prefer_fast, 500 * MiB, 0, zram);
	ASSERT_EQ(plan.actions.size(), 1u);
	EXPECT_EQ(plan.actions[0].device, "/dev/xvdb");
	EXPECT_EQ(plan.actions[0].priority, 32765);
}

TEST(SwapPlan, NoDevicesNoActions)
{
	for (auto mode : {SwapMode::normal, SwapMode::prefer_fast, SwapMode::avoid_disk}) {
		const auto plan = plan_swap({}, mode, 0, 0, zram);
		EXPECT_TRUE(plan.actions.empty());
		EXPECT_EQ(plan.result(), AckResult::applied);
	}
}

TEST(SwapPlan, NoFastDevicesAvoidDiskTurnsAllSwapOff)
{
	const std::vector<ManagedSwap> devices = {swap("/swapfile", -2, 0)};
	const auto plan = plan_swap(devices, SwapMode::avoid_disk, 500 * MiB, 64 * MiB, zram);
	ASSERT_EQ(plan.actions.size(), 1u);
	EXPECT_EQ(plan.actions[0].kind, SwapActionKind::swapoff);
	EXPECT_EQ(plan.actions[0].device, "/swapfile");
}

TEST(SwapPlan, PreconditionHolds)
{
	SwapAction a;
	a.needs_available_kb = 100;
	EXPECT_TRUE(precondition_holds(a, 100));
	EXPECT_TRUE(precondition_holds(a, 101));
	EXPECT_FALSE(precondition_holds(a, 99));
}

} // namespace
} // namespace memtune
