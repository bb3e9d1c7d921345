#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "io/journal.hpp"
#include "io/procfs.hpp"
#include "io/reclaim.hpp"

namespace memtune::io {
namespace {

namespace fs = std::filesystem;

class KernelTree : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/memtune-io-test-XXXXXX";
		ASSERT_NE(mkdtemp(tmpl), nullptr);
		root_ = tmpl;
		fs::create_directories(root_ / "proc/sys/vm");
		fs::create_directories(root_ / "sys/fs/cgroup");
	}
	void TearDown() override { fs::remove_all(root_); }

	void put(const fs::path &relative, const std::string &text)
	{
		fs::create_directories((root_ / relative).parent_path());
		std::ofstream(root_ / relative) << text;
	}
	std::string get(const fs::path &relative)
	{
		std::ifstream in(root_ / relative);
		return std::string(std::istreambuf_iterator<char>(in), {});
	}
	Procfs kernel() const { return Procfs(root_ / "proc", root_ / "sys"); }

	fs::path root_;
};

TEST_F(KernelTree, ReadsUnderTheRoots)
{
	put("proc/meminfo", "MemTotal: 1 kB\n");
	put("sys/kernel/xen_memtune/state", "idle\n");
	EXPECT_EQ(*kernel().read_proc("meminfo"), "MemTotal: 1 kB\n");
	EXPECT_EQ(*kernel().read_sys("kernel/xen_memtune/state"), "idle\n");
}

TEST_F(KernelTree, MissingFileIsEnoentWithThePath)
{
	auto r = kernel().read_proc("pressure/memory");
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.error().code, ENOENT);
	EXPECT_THAT(r.error().message, ::testing::HasSubstr("pressure/memory"));
}

TEST_F(KernelTree, EmptyFileReadsEmpty)
{
	put("proc/swaps", "");
	EXPECT_EQ(*kernel().read_proc("swaps"), "");
}

TEST_F(KernelTree, FileLargerThanTheCapIsRefused)
{
	put("proc/vmstat", std::string((1 << 20) + 1, 'x'));
	auto r = kernel().read_proc("vmstat");
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.error().code, EFBIG);
}

TEST_F(KernelTree, EmbeddedNulIsKept)
{
	put("proc/meminfo", std::string("a\0b", 3));
	EXPECT_EQ(kernel().read_proc("meminfo")->size(), 3u);
}

TEST_F(KernelTree, WritesOneValue)
{
	put("proc/sys/vm/swappiness", "60\n");
	ASSERT_TRUE(kernel().write_proc("sys/vm/swappiness", "30").ok());
	EXPECT_EQ(get("proc/sys/vm/swappiness").substr(0, 2), "30");
}

TEST_F(KernelTree, WritingAMissingFileFails)
{
	auto r = kernel().write_sys("kernel/xen_memtune/resize", "1");
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.error().code, ENOENT);
}

TEST_F(KernelTree, MemoryReclaimTakesKibWithASuffix)
{
	put("sys/fs/cgroup/memory.reclaim", "");
	EXPECT_TRUE(reclaim_available(kernel()));
	auto r = write_memory_reclaim(kernel(), 65536);
	ASSERT_TRUE(r.ok());
	EXPECT_TRUE(*r);
	EXPECT_EQ(get("sys/fs/cgroup/memory.reclaim"), "65536K");
}

TEST_F(KernelTree, ZeroReclaimWritesNothing)
{
	put("sys/fs/cgroup/memory.reclaim", "untouched");
	ASSERT_TRUE(write_memory_reclaim(kernel(), 0).ok());
	EXPECT_EQ(get("sys/fs/cgroup/memory.reclaim"), "untouched");
}

TEST_F(KernelTree, NoMemoryReclaimFile)
{
	EXPECT_FALSE(reclaim_available(kernel()));
	auto r = write_memory_reclaim(kernel(), 1024);
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.error().code, ENOENT);
}

TEST_F(KernelTree, DropCachesWritesOne)
{
	put("proc/sys/vm/drop_caches", "");
	ASSERT_TRUE(drop_page_cache(kernel()).ok());
	EXPECT_EQ(get("proc/sys/vm/drop_caches"), "1");
}

TEST(Journal, StderrLineCarriesTheFields)
{
	ActionLog entry{LOG_NOTICE, "swappiness 60 -> 30", "swappiness", "60", "30", "directive", 7};
	EXPECT_EQ(format_log_line(entry), "swappiness 60 -> 30 [ACTION=swappiness OLD=60 NEW=30 "
					  "REASON=directive DIRECTIVE_SEQ=7]");
}

TEST(Journal, EmptyFieldsAreLeftOut)
{
	ActionLog entry;
	entry.message = "started";
	EXPECT_EQ(format_log_line(entry), "started");
	entry.directive_seq = 0;
	EXPECT_EQ(format_log_line(entry), "started [DIRECTIVE_SEQ=0]");
}

TEST(Journal, MoreFieldsFollowInOrderEmptyOnesLeftOut)
{
	ActionLog entry{LOG_NOTICE, "rogue (domid 3): detected", "detected", "", "", "rogue", {}};
	EXPECT_EQ(format_log_line(entry, {{"DOMAIN", "rogue"}, {"EXECUTED", ""}, {"DOMID", "3"}}),
		  "rogue (domid 3): detected [ACTION=detected REASON=rogue DOMAIN=rogue DOMID=3]");
}

} // namespace
} // namespace memtune::io
