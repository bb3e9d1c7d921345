#include "core/blockstat.hpp"

#include <string>

#include <gtest/gtest.h>

using namespace std::string_literals;

namespace memtune {
namespace {

TEST(BlockStat, ParsesEveryKernelLayout)
{
	// Linux 6.1 /sys/block/vda/stat (17 fields), as the rig's Dom0 printed it.
	auto s = parse_disk_stat("    9383     2745   733514     4262   180324    51890 15232840 "
				 "112011364        0   182380 112015627        0        0        0"
				 "        0        0        0\n");
	ASSERT_TRUE(s) << s.error().message;
	EXPECT_EQ(s->read_ios, 9383u);
	EXPECT_EQ(s->read_sectors, 733514u);
	EXPECT_EQ(s->read_ticks_ms, 4262u);
	EXPECT_EQ(s->write_ios, 180324u);
	EXPECT_EQ(s->write_sectors, 15232840u);
	EXPECT_EQ(s->write_ticks_ms, 112011364u);
	EXPECT_EQ(s->io_ticks_ms, 182380u);
	EXPECT_TRUE(parse_disk_stat("1 2 3 4 5 6 7 8 9 10 11"));
	EXPECT_TRUE(parse_disk_stat("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15"));
}

TEST(BlockStat, RefusesHostileStat)
{
	for (const std::string &text :
	     {""s, " "s, "1 2 3"s, "1 2 3 4 5 6 7 8 9 10"s, "1 2 3 4 5 6 7 8 9 10 -11"s,
	      "1 2 3 4 5 6 7 8 9 10 +11"s, "1 2 3 4 5 6 7 8 9 10 99999999999999999999999"s,
	      "1 2 3 4 5 6 7 8 9 10 x"s, "1 2 3 4 5 6 7 8 9 10 1\0"s "1"s,
	      "1 2 3 4 5 6 7 8 9 10 11\n1 2 3 4 5 6 7 8 9 10 11\n"s,
	      std::string(5000, '1')})
		EXPECT_FALSE(parse_disk_stat(text)) << text;
}

TEST(BlockStat, WindowAwaitAndUtilisation)
{
	DiskCounters a{100, 800, 400, 1000, 8000, 5000, 2000};
	DiskCounters b{120, 960, 480, 1980, 15840, 495080, 10900};
	// 1000 requests in 10 s that waited 490,160 ms in all: 490 ms each; busy 8.9 of 10 s.
	auto w = disk_window(a, b, 10000);
	EXPECT_DOUBLE_EQ(w.iops, 100.0);
	EXPECT_DOUBLE_EQ(w.await_ms, 490.16);
	EXPECT_DOUBLE_EQ(w.util_pct, 89.0);
	// Backwards counters, no time, no I/O.
	EXPECT_DOUBLE_EQ(disk_window(b, a, 10000).util_pct, 0.0);
	EXPECT_DOUBLE_EQ(disk_window(a, b, 0).iops, 0.0);
	EXPECT_DOUBLE_EQ(disk_window(a, a, 1000).await_ms, 0.0);
	// Utilisation is capped at 100 (io_ticks can run ahead of wall time by a tick).
	DiskCounters c = a;
	c.io_ticks_ms += 1500;
	EXPECT_DOUBLE_EQ(disk_window(a, c, 1000).util_pct, 100.0);
}

TEST(BlockStat, VbdCountersAndNames)
{
	EXPECT_EQ(*parse_counter("1234\n", "wr_req"), 1234u);
	EXPECT_EQ(*parse_counter("0", "wr_req"), 0u);
	for (const std::string &bad : {""s, "\n"s, " 1"s, "-1"s, "1\n\n"s, "0x10"s, "1\0"s "2"s})
		EXPECT_FALSE(parse_counter(bad, "wr_req")) << bad;
	auto name = parse_vbd_name("vbd-5-51712");
	ASSERT_TRUE(name);
	EXPECT_EQ(name->domid, 5u);
	EXPECT_EQ(name->devid, 51712u);
	for (const char *bad : {"vbd-5", "vbd--1-2", "vif-5-0", "vbd-5-", "vbd-99999999-1",
				"vbd-5-1-2", "vbd-05-1", "vbd-"})
		EXPECT_FALSE(parse_vbd_name(bad)) << bad;
	VbdCounters sum{1, 2, 3, 4, 5};
	sum += VbdCounters{10, 20, 30, 40, 50};
	EXPECT_EQ(sum.wr_sect, 44u);
	EXPECT_EQ(sum.oo_req, 55u);
}

} // namespace
} // namespace memtune
