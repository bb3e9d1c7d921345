#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>

#include "io/swap.hpp"

namespace memtune::io {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::Invoke;
using ::testing::Return;

class MockSwap : public SwapSyscalls {
public:
	MOCK_METHOD(Result<void>, swapon, (const std::string &, SwapPriority), (override));
	MOCK_METHOD(Result<void>, swapoff, (const std::string &), (override));
};

Result<void> ok() { return {}; }
Result<void> fails(int code, const char *what) { return Error{code, what}; }

bool sigterm_blocked()
{
	sigset_t now;
	pthread_sigmask(SIG_BLOCK, nullptr, &now);
	return sigismember(&now, SIGTERM) == 1;
}

TEST(ChangeSwapPriority, SwapoffThenSwaponWithTheNewPriority)
{
	MockSwap swap;
	InSequence order;
	EXPECT_CALL(swap, swapoff("/dev/xvdb")).WillOnce(Return(ok()));
	EXPECT_CALL(swap, swapon("/dev/xvdb", SwapPriority(5))).WillOnce(Return(ok()));
	EXPECT_TRUE(change_swap_priority(swap, "/dev/xvdb", SwapPriority(10), SwapPriority(5)).ok());
}

TEST(ChangeSwapPriority, FailedSwaponIsUndoneWithTheOldPriority)
{
	MockSwap swap;
	InSequence order;
	EXPECT_CALL(swap, swapoff("/dev/xvdb")).WillOnce(Return(ok()));
	EXPECT_CALL(swap, swapon("/dev/xvdb", SwapPriority(5)))
		.WillOnce(Return(fails(EBUSY, "swapon /dev/xvdb: busy")));
	EXPECT_CALL(swap, swapon("/dev/xvdb", SwapPriority(10))).WillOnce(Return(ok()));
	auto r = change_swap_priority(swap, "/dev/xvdb", SwapPriority(10), SwapPriority(5));
	ASSERT_FALSE(r.ok());
	EXPECT_THAT(r.error().message, HasSubstr("old priority"));
}

TEST(ChangeSwapPriority, FallsBackToTheDefaultPriorityAsALastResort)
{
	MockSwap swap;
	InSequence order;
	EXPECT_CALL(swap, swapoff(_)).WillOnce(Return(ok()));
	EXPECT_CALL(swap, swapon(_, SwapPriority(5))).WillOnce(Return(fails(EINVAL, "a")));
	EXPECT_CALL(swap, swapon(_, SwapPriority(10))).WillOnce(Return(fails(EINVAL, "b")));
	EXPECT_CALL(swap, swapon(_, SwapPriority())).WillOnce(Return(ok()));
	auto r = change_swap_priority(swap, "/dev/xvdb", SwapPriority(10), SwapPriority(5));
	ASSERT_FALSE(r.ok());
	EXPECT_THAT(r.error().message, HasSubstr("default priority"));
}

TEST(ChangeSwapPriority, SaysSoWhenTheDeviceStaysOff)
{
	MockSwap swap;
	EXPECT_CALL(swap, swapoff(_)).WillOnce(Return(ok()));
	EXPECT_CALL(swap, swapon(_, _)).WillRepeatedly(Return(fails(EIO, "swapon: EIO")));
	auto r = change_swap_priority(swap, "/dev/xvdb", SwapPriority(10), SwapPriority(5));
	ASSERT_FALSE(r.ok());
	EXPECT_THAT(r.error().message, HasSubstr("OFF"));
}

TEST(ChangeSwapPriority, FailedSwapoffTouchesNothingElse)
{
	MockSwap swap;
	EXPECT_CALL(swap, swapoff(_)).WillOnce(Return(fails(ENOMEM, "swapoff: ENOMEM")));
	EXPECT_CALL(swap, swapon(_, _)).Times(0);
	auto r = change_swap_priority(swap, "/dev/xvdb", SwapPriority(10), SwapPriority(5));
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.error().code, ENOMEM);
}

// SIGTERM in the middle of a change must wait until the device is on again.
TEST(ChangeSwapPriority, TerminationSignalsAreBlockedDuringTheChange)
{
	ASSERT_FALSE(sigterm_blocked());
	static volatile sig_atomic_t delivered = 0;
	auto previous = std::signal(SIGTERM, [](int) { delivered = 1; });
	MockSwap swap;
	EXPECT_CALL(swap, swapoff(_)).WillOnce(Invoke([](const std::string &) {
		EXPECT_TRUE(sigterm_blocked());
		raise(SIGTERM); // stays pending while blocked
		EXPECT_EQ(delivered, 0);
		return ok();
	}));
	EXPECT_CALL(swap, swapon(_, _)).WillOnce(Invoke([](const std::string &, SwapPriority) {
		EXPECT_TRUE(sigterm_blocked());
		EXPECT_EQ(delivered, 0);
		return ok();
	}));
	EXPECT_TRUE(change_swap_priority(swap, "/dev/xvdb", SwapPriority(1), SwapPriority(2)).ok());
	EXPECT_FALSE(sigterm_blocked());
	EXPECT_EQ(delivered, 1); // delivered once the device was on again
	std::signal(SIGTERM, previous);
}

TEST(TurnSwapOff, BlocksTerminationSignals)
{
	MockSwap swap;
	EXPECT_CALL(swap, swapoff("/dev/xvdc")).WillOnce(Invoke([](const std::string &) {
		EXPECT_TRUE(sigterm_blocked());
		return ok();
	}));
	EXPECT_TRUE(turn_swap_off(swap, "/dev/xvdc").ok());
	EXPECT_FALSE(sigterm_blocked());
}

TEST(RestorablePriority, KernelAssignedPrioritiesComeBackAsDefault)
{
	struct Case {
		long proc;
		SwapPriority want;
	} cases[] = {{-2, std::nullopt}, {-1, std::nullopt}, {-100, std::nullopt},
		     {0, 0}, {5, 5}, {32767, 32767}, {40000, 32767}};
	for (const auto &c : cases)
		EXPECT_EQ(restorable_priority(c.proc), c.want) << c.proc;
}

TEST(KernelSwap, RealSyscallOnAMissingDeviceFailsWithItsName)
{
	KernelSwap swap;
	auto r = swap.swapoff("/nonexistent/memtune-test-swap");
	ASSERT_FALSE(r.ok());
	EXPECT_THAT(r.error().message, HasSubstr("/nonexistent/memtune-test-swap"));
}

} // namespace
} // namespace memtune::io
