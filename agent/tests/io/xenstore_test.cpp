#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include "mock_xenstore.hpp"

namespace memtune::io {
namespace {

using ::testing::_;
using ::testing::Return;

Result<void> ok() { return {}; }
Result<void> fails(int code) { return Error{code, "test"}; }

TEST(WithTransaction, CommitsOnce)
{
	MockXenStore xs;
	EXPECT_CALL(xs, transaction_start()).WillOnce(Return(Result<TransactionId>(7)));
	EXPECT_CALL(xs, write("data/memtune/seq", "1", 7)).WillOnce(Return(ok()));
	EXPECT_CALL(xs, transaction_end(7, false)).WillOnce(Return(ok()));
	auto r = with_transaction(xs, [&](TransactionId tx) { return xs.write("data/memtune/seq", "1", tx); });
	EXPECT_TRUE(r.ok());
}

TEST(WithTransaction, RunsTheWholeBodyAgainOnEagain)
{
	MockXenStore xs;
	EXPECT_CALL(xs, transaction_start())
		.WillOnce(Return(Result<TransactionId>(1)))
		.WillOnce(Return(Result<TransactionId>(2)))
		.WillOnce(Return(Result<TransactionId>(3)));
	EXPECT_CALL(xs, transaction_end(_, false))
		.WillOnce(Return(fails(EAGAIN)))
		.WillOnce(Return(fails(EAGAIN)))
		.WillOnce(Return(ok()));
	int runs = 0;
	auto r = with_transaction(xs, [&](TransactionId) -> Result<int> { return ++runs; });
	ASSERT_TRUE(r.ok());
	EXPECT_EQ(runs, 3);
	EXPECT_EQ(*r, 3);
}

TEST(WithTransaction, GivesUpAfterTheBound)
{
	MockXenStore xs;
	EXPECT_CALL(xs, transaction_start()).Times(4).WillRepeatedly(Return(Result<TransactionId>(1)));
	EXPECT_CALL(xs, transaction_end(_, false)).Times(4).WillRepeatedly(Return(fails(EAGAIN)));
	auto r = with_transaction(xs, [](TransactionId) { return ok(); }, 4);
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.error().code, EAGAIN);
	EXPECT_THAT(r.error().message, ::testing::HasSubstr("4 attempts"));
}

TEST(WithTransaction, BodyErrorAbortsAndIsReturned)
{
	MockXenStore xs;
	EXPECT_CALL(xs, transaction_start()).WillOnce(Return(Result<TransactionId>(9)));
	EXPECT_CALL(xs, transaction_end(9, true)).WillOnce(Return(ok()));
	EXPECT_CALL(xs, transaction_end(9, false)).Times(0);
	auto r = with_transaction(xs, [](TransactionId) { return fails(EACCES); });
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.error().code, EACCES);
}

TEST(WithTransaction, OtherCommitErrorsAreNotRetried)
{
	MockXenStore xs;
	EXPECT_CALL(xs, transaction_start()).WillOnce(Return(Result<TransactionId>(1)));
	EXPECT_CALL(xs, transaction_end(1, false)).WillOnce(Return(fails(ENOSPC)));
	auto r = with_transaction(xs, [](TransactionId) { return ok(); });
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.error().code, ENOSPC);
}

TEST(WithTransaction, StartFailureIsReturned)
{
	MockXenStore xs;
	EXPECT_CALL(xs, transaction_start()).WillOnce(Return(Result<TransactionId>(Error{EBADF, "x"})));
	int runs = 0;
	auto r = with_transaction(xs, [&](TransactionId) { runs++; return ok(); });
	EXPECT_FALSE(r.ok());
	EXPECT_EQ(runs, 0);
}

TEST(ConnectionLost, TellsDeadConnectionFromRefusal)
{
	struct Case {
		int code;
		bool lost;
	} cases[] = {{EBADF, true}, {EINVAL, true}, {EPIPE, true}, {ECONNRESET, true},
		     {ENOTCONN, true}, {EIO, true}, {ENOENT, false}, {EACCES, false},
		     {EAGAIN, false}, {E2BIG, false}, {ENOSPC, false}, {0, false}};
	for (const auto &c : cases)
		EXPECT_EQ(is_connection_lost(Error{c.code, ""}), c.lost) << c.code;
}

TEST(LibXenStore, OpenFailsWithAClearErrorWhenThereIsNoXenstore)
{
	// A socket path that does not exist: xs_open must fail, not hang or crash.
	setenv("XENSTORED_PATH", "/nonexistent/memtune-test/socket", 1);
	auto xs = open_xenstore();
	unsetenv("XENSTORED_PATH");
	ASSERT_FALSE(xs.ok());
	EXPECT_THAT(xs.error().message, ::testing::HasSubstr("xs_open"));
}

TEST(WaitForWatchEvents, NotConnectedIsAnError)
{
	MockXenStore xs;
	EXPECT_CALL(xs, event_fd()).WillOnce(Return(-1));
	auto r = wait_for_watch_events(xs, std::chrono::milliseconds(10));
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.error().code, ENOTCONN);
}

TEST(WaitForWatchEvents, TimeoutStillDispatchesToNoticeADeadConnection)
{
	int pipefd[2];
	ASSERT_EQ(pipe(pipefd), 0);
	MockXenStore xs;
	EXPECT_CALL(xs, event_fd()).WillOnce(Return(pipefd[0]));
	EXPECT_CALL(xs, dispatch_watch_events()).WillOnce(Return(fails(EINVAL)));
	auto r = wait_for_watch_events(xs, std::chrono::milliseconds(10));
	EXPECT_FALSE(r.ok());
	close(pipefd[0]);
	close(pipefd[1]);
}

TEST(WaitForWatchEvents, ReadableFdDispatches)
{
	int pipefd[2];
	ASSERT_EQ(pipe(pipefd), 0);
	ASSERT_EQ(write(pipefd[1], "x", 1), 1);
	MockXenStore xs;
	EXPECT_CALL(xs, event_fd()).WillOnce(Return(pipefd[0]));
	EXPECT_CALL(xs, dispatch_watch_events()).WillOnce(Return(ok()));
	auto r = wait_for_watch_events(xs, std::chrono::milliseconds(1000));
	ASSERT_TRUE(r.ok());
	EXPECT_TRUE(*r);
	close(pipefd[0]);
	close(pipefd[1]);
}

} // namespace
} // namespace memtune::io
