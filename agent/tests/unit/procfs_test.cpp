#include "core/procfs.hpp"

#include <string>

#include <gtest/gtest.h>

#include "core/number.hpp"

using namespace std::string_literals;

namespace memtune {
namespace {

// A Debian 12 guest's /proc/meminfo (Linux 6.1, 1 GiB PV DomU, swap on xvdb and zram0).
const std::string meminfo_61 =
	"MemTotal:         998716 kB\n"
	"MemFree:          412044 kB\n"
	"MemAvailable:     701308 kB\n"
	"Buffers:           21432 kB\n"
	"Cached:           301744 kB\n"
	"SwapCached:         1204 kB\n"
	"Active:           210524 kB\n"
	"Inactive:         258152 kB\n"
	"Active(anon):       2136 kB\n"
	"Inactive(anon):   151040 kB\n"
	"Active(file):     208388 kB\n"
	"Inactive(file):   107112 kB\n"
	"Unevictable:           0 kB\n"
	"Mlocked:               0 kB\n"
	"SwapTotal:       1572860 kB\n"
	"SwapFree:        1255420 kB\n"
	"Zswap:                 0 kB\n"
	"Zswapped:              0 kB\n"
	"Dirty:               528 kB\n"
	"Writeback:             0 kB\n"
	"AnonPages:        145460 kB\n"
	"Mapped:            69096 kB\n"
	"Shmem:              7856 kB\n"
	"KReclaimable:      34164 kB\n"
	"Slab:              67192 kB\n"
	"SReclaimable:      34164 kB\n"
	"SUnreclaim:        33028 kB\n"
	"KernelStack:        2672 kB\n"
	"PageTables:         3520 kB\n"
	"VmallocTotal:   34359738367 kB\n"
	"HugePages_Total:       0\n"
	"HugePages_Free:        0\n"
	"Hugepagesize:       2048 kB\n"
	"DirectMap4k:     1048576 kB\n";

TEST(Meminfo, ParsesReal61Text)
{
	auto m = parse_meminfo(meminfo_61);
	ASSERT_TRUE(m) << m.error().message;
	EXPECT_EQ(m->mem_total_kb, 998716u);
	EXPECT_EQ(m->mem_free_kb, 412044u);
	EXPECT_EQ(m->mem_available_kb, 701308u);
	EXPECT_EQ(m->buffers_kb, 21432u);
	EXPECT_EQ(m->cached_kb, 301744u);
	EXPECT_EQ(m->swap_cached_kb, 1204u);
	EXPECT_EQ(m->active_file_kb, 208388u);
	EXPECT_EQ(m->inactive_file_kb, 107112u);
	EXPECT_EQ(m->dirty_kb, 528u);
	EXPECT_EQ(m->writeback_kb, 0u);
	EXPECT_EQ(m->shmem_kb, 7856u);
	EXPECT_EQ(m->slab_reclaimable_kb, 34164u);
	EXPECT_EQ(m->swap_total_kb, 1572860u);
	EXPECT_EQ(m->swap_free_kb, 1255420u);
}

TEST(Meminfo, MissingTrailingNewlineAndOptionalFieldsAreFine)
{
	auto m = parse_meminfo("MemTotal: 100 kB\nMemAvailable: 50 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB");
	ASSERT_TRUE(m) << m.error().message;
	EXPECT_EQ(m->mem_total_kb, 100u);
	EXPECT_EQ(m->active_file_kb, 0u);
}

TEST(Meminfo, RefusesHostileText)
{
	const std::string base = "MemTotal: 100 kB\nMemAvailable: 50 kB\nSwapTotal: 0 kB\n";
	const std::pair<std::string, std::string> cases[] = {
		{"", "empty"},
		{" ", "lacks"},
		{"\n\n\n", "lacks"},
		{base, "SwapFree"},                                    // required field missing
		{base + "SwapFree: -1 kB\n", "meminfo line 4"},       // sign
		{base + "SwapFree: +0 kB\n", "meminfo line 4"},
		{base + "SwapFree: 0 MB\n", "kB"},                    // wrong unit
		{base + "SwapFree: 0 kB extra\n", "kB"},
		{base + "SwapFree:\n", "kB"},                         // no value
		{base + "SwapFree 0 kB\n", "name"},                   // no colon
		{base + ": 0 kB\n", "name"},
		{base + "SwapFree: 0x0 kB\n", "meminfo line 4"},
		{base + "SwapFree: 18446744073709551616 kB\n", "too large"},  // overflow
		{base + "SwapFree: 18446744073709551615 kB\n", "too large"},  // KiB -> bytes overflow
		{base + "SwapFree: 0 kB\nSwapFree: 0 kB\n", "twice"},
		{base + "SwapFree: 0 kB\0\n"s, "NUL"},
		{base + "SwapFree: " + std::string(5000, '9') + " kB\n", "too long"},
		{std::string(2 << 20, 'x'), "too large"},
		{"MemTotal: 100 kB\nMemAvailable: 200 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n",
		 "exceeds MemTotal"},
		{"MemTotal: 100 kB\nMemAvailable: 50 kB\nSwapTotal: 0 kB\nSwapFree: 1 kB\n",
		 "exceeds SwapTotal"},
	};
	for (const auto &[text, needle] : cases) {
		SCOPED_TRACE(quote_for_message(text));
		auto m = parse_meminfo(text);
		ASSERT_FALSE(m);
		EXPECT_NE(m.error().message.find(needle), std::string::npos) << m.error().message;
	}
}

TEST(Vmstat, ParsesReal61Counters)
{
	auto v = parse_vmstat("nr_free_pages 103011\nworkingset_refault_anon 1200\n"
			      "workingset_refault_file 601690\npswpin 79354\npswpout 160021\n"
			      "pgfault 123\n");
	ASSERT_TRUE(v) << v.error().message;
	EXPECT_EQ(v->pswpin, 79354u);
	EXPECT_EQ(v->pswpout, 160021u);
	EXPECT_EQ(v->workingset_refault_anon, 1200u);
	EXPECT_EQ(v->workingset_refault_file, 601690u);
}

TEST(Vmstat, OldKernelSingleRefaultCounter)
{
	auto v = parse_vmstat("pswpin 1\npswpout 2\nworkingset_refault 30\n");
	ASSERT_TRUE(v);
	EXPECT_EQ(v->workingset_refault_anon, 0u);
	EXPECT_EQ(v->workingset_refault_file, 30u);
}

TEST(Vmstat, RefusesHostileText)
{
	const std::string cases[] = {
		"",
		"pswpin 1\n",                          // pswpout missing
		"pswpin 1\npswpout -2\n",
		"pswpin 1\npswpout 2 3\n",
		"pswpin 1\npswpout\n",
		"pswpin 1\npswpout 99999999999999999999\n",
		"pswpin 1\npswpout 2\npswpin 1\n",
		"pswpin 1\npswpout 2\0\n"s,
		"pswpin 1\npswpout 0x2\n",
		"pswpin 1\npswpout " + std::string(100, '1') + "\n",
	};
	for (const auto &text : cases) {
		SCOPED_TRACE(quote_for_message(text));
		EXPECT_FALSE(parse_vmstat(text));
	}
}

TEST(Swaps, ParsesReal61Table)
{
	// Linux 6.1 mm/swapfile.c swap_show(): name padded to 40 with tabs between columns.
	const std::string text =
		"Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
		"/dev/xvdb                               partition\t1048572\t\t317440\t\t-2\n"
		"/dev/zram0                              partition\t524288\t\t0\t\t100\n"
		"/var/swap\\040file                       file\t\t4096\t\t0\t\t-3\n";
	auto d = parse_swaps(text);
	ASSERT_TRUE(d) << d.error().message;
	ASSERT_EQ(d->size(), 3u);
	EXPECT_EQ((*d)[0].name, "/dev/xvdb");
	EXPECT_EQ((*d)[0].type, "partition");
	EXPECT_EQ((*d)[0].size_kb, 1048572u);
	EXPECT_EQ((*d)[0].used_kb, 317440u);
	EXPECT_EQ((*d)[0].priority, -2);
	EXPECT_EQ((*d)[1].name, "/dev/zram0");
	EXPECT_EQ((*d)[1].priority, 100);
	EXPECT_EQ((*d)[2].name, "/var/swap file");
	EXPECT_EQ((*d)[2].type, "file");
}

TEST(Swaps, HeaderOnlyMeansNoSwap)
{
	auto d = parse_swaps("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	ASSERT_TRUE(d);
	EXPECT_TRUE(d->empty());
}

TEST(Swaps, RefusesHostileText)
{
	const std::string header = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";
	const std::string cases[] = {
		"",
		"garbage\n",
		header + "/dev/xvdb partition 100 0\n",            // 4 fields
		header + "/dev/xvdb partition 100 0 -2 extra\n",
		header + "/dev/xvdb partition -100 0 -2\n",
		header + "/dev/xvdb partition 100 200 -2\n",        // used > size
		header + "/dev/xvdb partition 100 0 40000\n",       // priority out of range
		header + "/dev/xvdb partition 100 0 --2\n",
		header + "/dev/xvdb partition 100 0 99999999999999999999\n",
		header + "/dev/xvdb partition 100 0 1\n/dev/xvdb partition 100 0 1\n",
		header + "/dev/x\\04 partition 100 0 1\n",          // truncated escape
		header + "/dev/x\\999 partition 100 0 1\n",         // not octal
		header + "/dev/x\\000 partition 100 0 1\n",         // NUL by escape
		header + "/dev/xvdb partition 100 0 1\0\n"s,
		header + "/dev/xvdb partition 1e3 0 1\n",
	};
	for (const auto &text : cases) {
		SCOPED_TRACE(quote_for_message(text));
		EXPECT_FALSE(parse_swaps(text));
	}
}

TEST(Pressure, ParsesReal61Text)
{
	auto p = parse_memory_pressure("some avg10=12.34 avg60=5.00 avg300=1.20 total=123456\n"
				       "full avg10=0.50 avg60=0.10 avg300=0.00 total=789\n");
	ASSERT_TRUE(p) << p.error().message;
	EXPECT_EQ(p->some.avg10_centi, 1234u);
	EXPECT_EQ(p->some.avg60_centi, 500u);
	EXPECT_EQ(p->some.avg300_centi, 120u);
	EXPECT_EQ(p->some.total_us, 123456u);
	EXPECT_EQ(p->full.avg10_centi, 50u);
	EXPECT_EQ(p->full.avg60_centi, 10u);
	EXPECT_EQ(p->full.total_us, 789u);
}

TEST(Pressure, RefusesHostileText)
{
	const std::string full = "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
	const std::string cases[] = {
		"",
		full,                                                       // no "some"
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",         // no "full"
		full + full,
		"some avg10=101.00 avg60=0.00 avg300=0.00 total=0\n" + full,
		"some avg10=-1.00 avg60=0.00 avg300=0.00 total=0\n" + full,
		"some avg60=0.00 avg10=0.00 avg300=0.00 total=0\n" + full,  // order
		"some avg10= avg60=0.00 avg300=0.00 total=0\n" + full,
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=-1\n" + full,
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=0 x=1\n" + full,
		"some avg10=0.00 avg60=0.00 avg300=0.00\n" + full,
		"some avg10=nan avg60=0.00 avg300=0.00 total=0\n" + full,
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=0\0\n"s + full,
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=99999999999999999999\n" + full,
	};
	for (const auto &text : cases) {
		SCOPED_TRACE(quote_for_message(text));
		EXPECT_FALSE(parse_memory_pressure(text));
	}
}

TEST(Rates, FromTwoSamples)
{
	const Vmstat before{1000, 2000, 10, 100};
	const Vmstat after{1500, 2000, 20, 290};
	auto r = vmstat_rates(before, after, 2500);
	ASSERT_TRUE(r);
	EXPECT_DOUBLE_EQ(r->swap_in_pps, 200.0);
	EXPECT_DOUBLE_EQ(r->swap_out_pps, 0.0);
	EXPECT_DOUBLE_EQ(r->refault_pps, 80.0);
}

TEST(Rates, CounterGoingBackwardsIsZeroNotHuge)
{
	auto r = vmstat_rates(Vmstat{500, 500, 5, 5}, Vmstat{10, 600, 0, 0}, 1000);
	ASSERT_TRUE(r);
	EXPECT_DOUBLE_EQ(r->swap_in_pps, 0.0);
	EXPECT_DOUBLE_EQ(r->swap_out_pps, 100.0);
	EXPECT_DOUBLE_EQ(r->refault_pps, 0.0);
}

TEST(Rates, ZeroElapsedIsAnError)
{
	EXPECT_FALSE(vmstat_rates(Vmstat{}, Vmstat{}, 0));
}

} // namespace
} // namespace memtune
