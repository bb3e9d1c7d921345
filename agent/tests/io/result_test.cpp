// The one Result template, with the core's message-only Error and the edge's io::Error.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "core/result.hpp"
#include "io/result.hpp"

namespace memtune {
namespace {

Result<int> parse_digit(char c)
{
	if (c < '0' || c > '9')
		return Error{"not a digit"};
	return c - '0';
}

TEST(Result, CoreValueOrMessage)
{
	auto good = parse_digit('7');
	ASSERT_TRUE(good);
	EXPECT_EQ(*good, 7);
	auto bad = parse_digit('x');
	ASSERT_FALSE(bad);
	EXPECT_EQ(bad.error().message, "not a digit");
	EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(Result, IoErrorCarriesErrnoAndMessage)
{
	io::Result<std::string> missing = io::errno_error("read data/memtune/seq", ENOENT);
	ASSERT_FALSE(missing);
	EXPECT_EQ(missing.code(), ENOENT);
	EXPECT_EQ(missing.error().message.rfind("read data/memtune/seq: ", 0), 0u);

	io::Result<void> done;
	EXPECT_TRUE(done);
	EXPECT_EQ(done.code(), 0);
	io::Result<void> refused = io::Error{EACCES, "write memtune/directive/seq: denied"};
	ASSERT_FALSE(refused);
	EXPECT_EQ(refused.code(), EACCES);
}

// An edge failure can be handed to code that speaks only the core's Error (its message is
// already a complete sentence); the errno stays behind at the edge.
TEST(Result, IoErrorIsACoreError)
{
	const io::Error lost{ENOTCONN, "xenstore: not connected"};
	Result<int> as_core = lost;
	ASSERT_FALSE(as_core);
	EXPECT_EQ(as_core.error().message, "xenstore: not connected");
}

} // namespace
} // namespace memtune
