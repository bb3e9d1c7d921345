// The daemon's Agent against an in-memory xenstore, a gmock for swapon/swapoff and /proc, /sys in
// a temporary directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <vector>

#include "daemon/agent.hpp"
#include "daemon/event_loop.hpp"
#include "io/journal.hpp"
#include "memory_xenstore.hpp"

namespace memtune::daemon {
namespace {

namespace fs = std::filesystem;
using ::testing::_;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::Return;

class MockSwap : public io::SwapSyscalls {
public:
	MOCK_METHOD(io::Result<void>, swapon, (const std::string &, io::SwapPriority), (override));
	MOCK_METHOD(io::Result<void>, swapoff, (const std::string &), (override));
};

io::Result<void> ok() { return {}; }

std::string meminfo(unsigned long available_kb)
{
	return "MemTotal:        1000000 kB\nMemFree:          200000 kB\n"
	       "MemAvailable:     " + std::to_string(available_kb) + " kB\n"
	       "Buffers:           10000 kB\nCached:           400000 kB\nSwapCached: 0 kB\n"
	       "Active(file):     200000 kB\nInactive(file):   200000 kB\nDirty: 0 kB\n"
	       "Writeback: 0 kB\nShmem: 0 kB\nSReclaimable: 20000 kB\n"
	       "SwapTotal:        1048576 kB\nSwapFree:         748576 kB\n";
}

class AgentTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		io::set_log_target(io::LogTarget::stderr_only);
		char tmpl[] = "/tmp/memtune-agent-test-XXXXXX";
		ASSERT_NE(mkdtemp(tmpl), nullptr);
		root_ = tmpl;
		put("proc/meminfo", meminfo(600000));
		put("proc/vmstat", "pswpin 1\npswpout 2\n");
		put("proc/sys/vm/swappiness", "60\n");
		put("proc/swaps", "Filename Type Size Used Priority\n"
				  "/dev/zram0 partition 524288 0 5\n"
				  "/dev/xvdb partition 524288 300000 10\n");
		put("sys/fs/cgroup/memory.reclaim", "");
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
	// The first line, as the kernel would show it after one write (a temp file keeps the tail).
	std::string value(const fs::path &relative)
	{
		std::string text = get(relative);
		return text.substr(0, text.find('\n'));
	}
	Agent make_agent(Config config = {})
	{
		return Agent(config, xs_, io::Procfs(root_ / "proc", root_ / "sys"), swap_);
	}
	void directive(std::uint64_t seq, std::initializer_list<std::pair<std::string, std::string>> keys,
		       long expires_in = 600)
	{
		xs_.nodes["memtune/directive/seq"] = std::to_string(seq);
		xs_.nodes["memtune/directive/expires"] = std::to_string(std::time(nullptr) + expires_in);
		for (const auto &[k, v] : keys)
			xs_.nodes["memtune/directive/" + k] = v;
		xs_.fire("memtune/directive/seq");
	}
	std::string ack(const char *key) { return xs_.nodes["data/memtune/ack/" + std::string(key)]; }

	fs::path root_;
	io::MemoryXenStore xs_;
	MockSwap swap_;
};

TEST_F(AgentTest, StartWatchesTheDirectiveAndItsOwnReport)
{
	Agent agent = make_agent();
	ASSERT_TRUE(agent.start().ok());
	std::vector<std::string> paths;
	for (const auto &[token, watched] : xs_.watches)
		paths.push_back(watched.first);
	EXPECT_THAT(paths, ::testing::UnorderedElementsAre("memtune/directive", "data/memtune/seq"));
}

TEST_F(AgentTest, FirstTickPublishesTheReportSeqLast)
{
	Agent agent = make_agent();
	ASSERT_TRUE(agent.start().ok());
	agent.tick(1000);
	EXPECT_EQ(xs_.nodes["data/memtune/mem-available-kb"], "600000");
	EXPECT_EQ(xs_.nodes["data/memtune/seq"], "1");
	// Last among the report's writes (XAPI's keys beside it are written after).
	std::vector<std::string> report;
	std::copy_if(xs_.writes.begin(), xs_.writes.end(), std::back_inserter(report),
		     [](const std::string &path) { return path.starts_with(report_dir); });
	ASSERT_FALSE(report.empty());
	EXPECT_EQ(report.back(), "data/memtune/seq");
}

TEST_F(AgentTest, SeqContinuesFromAPreviousRun)
{
	xs_.nodes["data/memtune/seq"] = "41";
	Agent agent = make_agent();
	ASSERT_TRUE(agent.start().ok());
	agent.tick(1000);
	EXPECT_EQ(xs_.nodes["data/memtune/seq"], "42");
}

TEST_F(AgentTest, VanishedReportIsPublishedAgainInsideTheMinimumInterval)
{
	Agent agent = make_agent();
	ASSERT_TRUE(agent.start().ok());
	agent.tick(1000);
	ASSERT_TRUE(xs_.rm("data/memtune", 0).ok());
	xs_.fire("data/memtune/seq");
	agent.tick(1100);
	EXPECT_EQ(xs_.nodes["data/memtune/seq"], "2");
	EXPECT_EQ(xs_.nodes["data/memtune/version"], "1"); // every key, not only what moved
}

// Paths under data/memtune/ written since the last clear, relative to it (XAPI's keys beside
// the report are left out).
std::vector<std::string> report_writes(io::MemoryXenStore &xs)
{
	std::vector<std::string> keys;
	for (const auto &path : xs.writes)
		if (path.starts_with(report_dir))
			keys.push_back(path.substr(std::string(report_dir).size()));
	xs.writes.clear();
	return keys;
}

// Paths outside data/memtune/ written since the last clear: XAPI's keys.
std::vector<std::string> xapi_writes(io::MemoryXenStore &xs)
{
	std::vector<std::string> keys;
	for (const auto &path : xs.writes)
		if (!path.starts_with(report_dir))
			keys.push_back(path);
	xs.writes.clear();
	return keys;
}

TEST_F(AgentTest, XapiKeysBesideTheReport)
{
	Agent agent = make_agent();
	ASSERT_TRUE(agent.start().ok());
	agent.tick(1000);
	EXPECT_EQ(xs_.nodes["data/meminfo_total"], "1000000");
	EXPECT_EQ(xs_.nodes["data/meminfo_free"], "600000"); // MemAvailable, not MemFree
	EXPECT_EQ(xs_.nodes["control/feature-balloon"], "1");
	EXPECT_EQ(xs_.nodes["control/feature-memtune"], "1");
	EXPECT_THAT(xs_.nodes["data/updated"],
		    ::testing::MatchesRegex("[A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3][0-9] "
					    "[0-2][0-9]:[0-5][0-9]:[0-6][0-9] 2[0-9]{3}"));
	EXPECT_EQ(xapi_writes(xs_),
		  (std::vector<std::string>{"control/feature-balloon", "control/feature-memtune",
					    "data/meminfo_total", "data/meminfo_free",
					    "data/updated"}));

	// Idle: nothing until the interval, then data/updated alone.
	agent.tick(30000);
	EXPECT_TRUE(xapi_writes(xs_).empty());
	agent.tick(61000);
	EXPECT_EQ(xapi_writes(xs_), std::vector<std::string>{"data/updated"});

	// A move past the report's threshold is written at once, the control keys not again.
	put("proc/meminfo", meminfo(500000));
	agent.tick(67000);
	EXPECT_EQ(xapi_writes(xs_),
		  (std::vector<std::string>{"data/meminfo_free", "data/updated"}));
	EXPECT_EQ(xs_.nodes["data/meminfo_free"], "500000");

	// A reconnect writes every key again.
	agent.force_publish("xenstore reconnected", Agent::Rewrite::every_key);
	agent.tick(68000);
	EXPECT_EQ(xapi_writes(xs_).size(), 5u);
}

TEST_F(AgentTest, XapiKeysOffInTheConfig)
{
	Config config;
	config.xapi.enabled = false;
	Agent agent = make_agent(config);
	ASSERT_TRUE(agent.start().ok());
	agent.tick(1000);
	agent.tick(62000);
	EXPECT_TRUE(xapi_writes(xs_).empty());
	EXPECT_EQ(xs_.nodes.count("data/meminfo_total"), 0u);
	EXPECT_EQ(xs_.nodes["data/memtune/seq"], "2");
}

TEST_F(AgentTest, ReadOnlyXapiKeyIsLoggedOnceAndSkippedUntilARewrite)
{
	// libxl creates ~/control read-only: the guest cannot create control/feature-*.
	xs_.read_only = {"control/feature-balloon", "control/feature-memtune"};
	Agent agent = make_agent();
	ASSERT_TRUE(agent.start().ok());
	::testing::internal::CaptureStderr();
	agent.tick(1000);
	agent.tick(62000);
	agent.tick(123000);
	const std::string log = ::testing::internal::GetCapturedStderr();
	EXPECT_EQ(xs_.refused,
		  (std::vector<std::string>{"control/feature-balloon", "control/feature-memtune"}));
	EXPECT_THAT(log, HasSubstr("control/feature-memtune is read-only"));
	EXPECT_EQ(log.find("control/feature-memtune is read-only"),
		  log.rfind("control/feature-memtune is read-only"));
	// The data keys and the report go on.
	EXPECT_EQ(xs_.nodes["data/meminfo_total"], "1000000");
	EXPECT_EQ(xs_.nodes["data/memtune/seq"], "3");

	// A resume or a migration may bring a toolstack that lets the guest write them.
	xs_.read_only.clear();
	agent.force_publish("resumed after a suspend", Agent::Rewrite::every_key);
	agent.tick(124000);
	EXPECT_EQ(xs_.nodes["control/feature-memtune"], "1");
}

TEST_F(AgentTest, ReadOnlyXapiDataKeyDoesNotStopTheOthers)
{
	xs_.read_only = {"data/meminfo_free"};
	Agent agent = make_agent();
	ASSERT_TRUE(agent.start().ok());
	::testing::internal::CaptureStderr();
	agent.tick(1000);
	agent.tick(7000); // the retry, without the refused key
	const std::string log = ::testing::internal::GetCapturedStderr();
	EXPECT_THAT(log, HasSubstr("data/meminfo_free: write data/meminfo_free: Permission denied"));
	EXPECT_EQ(xs_.nodes["data/meminfo_total"], "1000000");
	EXPECT_EQ(xs_.nodes.count("data/meminfo_free"), 0u);
	EXPECT_FALSE(xs_.nodes["data/updated"].empty());
	EXPECT_EQ(xs_.refused, std::vector<std::string>{"data/meminfo_free"});
}

TEST_F(AgentTest, HeartbeatWithNothingChangedWritesOnlySeq)
{
	Agent agent = make_agent();
	ASSERT_TRUE(agent.start().ok());
	agent.tick(1000);
	EXPECT_EQ(report_writes(xs_).size(), 20u);
	agent.tick(62000); // past the 60 s heartbeat
	EXPECT_EQ(xs_.nodes["data/memtune/seq"], "2");
	EXPECT_EQ(report_writes(xs_), std::vector<std::string>{"seq"});
	// D-Bus still shows the whole report.
	EXPECT_EQ(agent.published_report().size(), 20u);
}

TEST_F(AgentTest, APublishWritesOnlyTheKeysThatMovedSeqLast)
{
	Agent agent = make_agent();
	ASSERT_TRUE(agent.start().ok());
	agent.tick(1000);
	report_writes(xs_);
	put("proc/meminfo", meminfo(500000)); // MemAvailable -100 MB: past the 32 MiB threshold
	agent.tick(7000);
	EXPECT_EQ(xs_.nodes["data/memtune/mem-available-kb"], "500000");
	const std::vector<std::string> moved = {"mem-available-kb", "floor-kb", "floor-reason",
						"seq"};
	EXPECT_EQ(report_writes(xs_), moved);
}

TEST_F(AgentTest, EveryKeyAfterAReconnectOrAFailedPublish)
{
	Agent agent = make_agent();
	ASSERT_TRUE(agent.start().ok());
	agent.tick(1000);
	report_writes(xs_);
	agent.force_publish("xenstore reconnected", Agent::Rewrite::every_key);
	agent.tick(2000);
	auto keys = report_writes(xs_);
	EXPECT_EQ(keys.size(), 20u);
	EXPECT_EQ(keys.back(), "seq");

	// A directive answered forces a publish, but of what changed only.
	agent.force_publish("directive answered");
	agent.tick(3000);
	EXPECT_EQ(report_writes(xs_), std::vector<std::string>{"seq"});

	// A commit that failed may or may not have reached xenstored: the retry writes all.
	xs_.failing_commits = 1;
	agent.force_publish("directive answered");
	agent.tick(4000);
	// The store kept the failed transaction's writes; the agent's seq did not move.
	EXPECT_EQ(xs_.nodes["data/memtune/seq"], "4");
	report_writes(xs_);
	agent.tick(9000);
	keys = report_writes(xs_);
	EXPECT_EQ(keys.size(), 20u);
	EXPECT_EQ(xs_.nodes["data/memtune/seq"], "4");
}

TEST_F(AgentTest, NoDirectiveNoAck)
{
	Agent agent = make_agent();
	ASSERT_TRUE(agent.start().ok());
	xs_.fire("memtune/directive");
	EXPECT_EQ(xs_.nodes.count("data/memtune/ack/seq"), 0u);
}

TEST_F(AgentTest, SwappinessDirectiveAppliedOnceEvenIfTheWatchFiresAgain)
{
	Agent agent = make_agent();
	ASSERT_TRUE(agent.start().ok());
	int answers = 0;
	agent.on_answered = [&](const Ack &) { answers++; };
	directive(1, {{"swappiness", "30"}});
	EXPECT_EQ(ack("seq"), "1");
	EXPECT_EQ(ack("result"), "applied");
	EXPECT_EQ(value("proc/sys/vm/swappiness"), "30");
	put("proc/sys/vm/swappiness", "60\n"); // an admin changed it back
	xs_.fire("memtune/directive");
	EXPECT_EQ(value("proc/sys/vm/swappiness"), "60");
	EXPECT_EQ(answers, 1);
}

TEST_F(AgentTest, HostileDirectivesAreRefusedAndChangeNothing)
{
	struct Case {
		const char *name;
		std::string value;
	} cases[] = {
		{"swappiness", "250"},      {"swappiness", "-1"},  {"swappiness", " 30"},
		{"swappiness", "30abc"},    {"swappiness", ""},    {"swappiness", "99999999999999999999999"},
		{"swappiness", std::string("3\0" "0", 3)},          {"reclaim-kb", "18446744073709551616"},
		{"swap-mode", "turbo"},     {"swap-mode", "/dev/xvdb"},
	};
	std::uint64_t seq = 1;
	for (const auto &c : cases) {
		xs_.nodes.erase("memtune/directive/swappiness");
		xs_.nodes.erase("memtune/directive/reclaim-kb");
		xs_.nodes.erase("memtune/directive/swap-mode");
		Agent agent = make_agent();
		xs_.watches.clear();
		ASSERT_TRUE(agent.start().ok());
		EXPECT_CALL(swap_, swapoff(_)).Times(0);
		EXPECT_CALL(swap_, swapon(_, _)).Times(0);
		directive(seq, {{c.name, c.value}});
		EXPECT_EQ(ack("seq"), std::to_string(seq)) << c.name << "=" << c.value;
		EXPECT_EQ(ack("result"), "refused") << c.name << "=" << c.value;
		EXPECT_FALSE(ack("reason").empty());
		EXPECT_EQ(get("proc/sys/vm/swappiness"), "60\n");
		EXPECT_EQ(get("sys/fs/cgroup/memory.reclaim"), "");
		seq++;
	}
}

TEST_F(AgentTest, DirectiveWithUnreadableSeqIsNotAckedOverTheLastAnswer)
{
	Agent agent = make_agent();
	ASSERT_TRUE(agent.start().ok());
	directive(3, {{"swappiness", "30"}});
	ASSERT_EQ(ack("seq"), "3");
	xs_.nodes["memtune/directive/seq"] = "garbage";
	xs_.fire("memtune/directive/seq");
	EXPECT_EQ(ack("seq"), "3");
	EXPECT_EQ(ack("result"), "applied");
}

TEST_F(AgentTest, RestartedAgentRefusesAReplay)
{
	xs_.nodes["data/memtune/ack/seq"] = "9";
	Agent agent = make_agent();
	ASSERT_TRUE(agent.start().ok());
	std::vector<Ack> answers;
	agent.on_answered = [&answers](const Ack &a) { answers.push_back(a); };
	directive(4, {{"swappiness", "30"}});
	// Refused and signalled, but ack/seq never goes back: Dom0 numbers its next directive from it.
	ASSERT_EQ(answers.size(), 1u);
	EXPECT_EQ(answers[0].result, AckResult::refused);
	EXPECT_EQ(ack("seq"), "9");
	EXPECT_EQ(get("proc/sys/vm/swappiness"), "60\n");
	directive(10, {{"swappiness", "30"}});
	EXPECT_EQ(ack("seq"), "10");
	EXPECT_EQ(ack("result"), "applied");
	EXPECT_EQ(get("proc/sys/vm/swappiness"), "30\n");
	// /metrics counts the replay as refused, once, and the answer as applied.
	directive(4, {{"swappiness", "40"}});
	xs_.fire("memtune/directive");
	EXPECT_EQ(agent.metrics().directives.refused, 1u);
	EXPECT_EQ(agent.metrics().directives.applied, 1u);
	EXPECT_EQ(agent.metrics().directives.partial, 0u);
}

TEST_F(AgentTest, DirectivesIgnoredWhenTheConfigSaysSo)
{
	Config config;
	config.honour_dom0 = false;
	Agent agent = make_agent(config);
	ASSERT_TRUE(agent.start().ok());
	directive(1, {{"swappiness", "30"}});
	EXPECT_EQ(ack("result"), "refused");
	EXPECT_EQ(get("proc/sys/vm/swappiness"), "60\n");
}

TEST_F(AgentTest, AvoidDiskRefusedWhenMemoryCannotHoldTheSwappedPages)
{
	put("proc/meminfo", meminfo(200000)); // 300000 KiB swapped on xvdb
	Agent agent = make_agent();
	ASSERT_TRUE(agent.start().ok());
	EXPECT_CALL(swap_, swapoff("/dev/xvdb")).Times(0);
	EXPECT_CALL(swap_, swapon("/dev/xvdb", _)).Times(0);
	// zram0 holds nothing: raising it above the disk is still done.
	EXPECT_CALL(swap_, swapoff("/dev/zram0")).WillOnce(Return(ok()));
	EXPECT_CALL(swap_, swapon("/dev/zram0", _)).WillOnce(Return(ok()));
	directive(1, {{"swap-mode", "avoid-disk"}});
	EXPECT_EQ(ack("result"), "partial");
	EXPECT_THAT(ack("reason"), HasSubstr("xvdb"));
}

TEST_F(AgentTest, AvoidDiskTurnsDiskSwapOffThenNormalBringsItBack)
{
	put("proc/meminfo", meminfo(900000));
	Agent agent = make_agent();
	ASSERT_TRUE(agent.start().ok());
	{
		InSequence order;
		// zram0 (fast) must end above xvdb: it is re-prioritized first, then xvdb goes off.
		EXPECT_CALL(swap_, swapoff("/dev/zram0")).WillOnce(Return(ok()));
		EXPECT_CALL(swap_, swapon("/dev/zram0", _)).WillOnce(Return(ok()));
		EXPECT_CALL(swap_, swapoff("/dev/xvdb")).WillOnce(Return(ok()));
	}
	directive(1, {{"swap-mode", "avoid-disk"}});
	EXPECT_EQ(ack("result"), "applied") << ack("reason");
	EXPECT_EQ(agent.swap_mode(), SwapMode::avoid_disk);
	::testing::Mock::VerifyAndClearExpectations(&swap_);

	// The kernel no longer lists xvdb; the agent remembers it and restores its baseline.
	put("proc/swaps", "Filename Type Size Used Priority\n"
			  "/dev/zram0 partition 524288 0 32767\n");
	EXPECT_CALL(swap_, swapon("/dev/xvdb", io::SwapPriority(10))).WillOnce(Return(ok()));
	EXPECT_CALL(swap_, swapoff("/dev/zram0")).WillOnce(Return(ok()));
	EXPECT_CALL(swap_, swapon("/dev/zram0", io::SwapPriority(5))).WillOnce(Return(ok()));
	directive(2, {{"swap-mode", "normal"}});
	EXPECT_EQ(ack("result"), "applied") << ack("reason");
}

TEST_F(AgentTest, FailedSwaponDuringAPriorityChangeIsRolledBackAndReported)
{
	put("proc/meminfo", meminfo(900000));
	Agent agent = make_agent();
	ASSERT_TRUE(agent.start().ok());
	InSequence order;
	EXPECT_CALL(swap_, swapoff("/dev/zram0")).WillOnce(Return(ok()));
	EXPECT_CALL(swap_, swapon("/dev/zram0", io::SwapPriority(32767)))
		.WillOnce(Return(io::Result<void>(io::Error{EINVAL, "swapon /dev/zram0: Invalid argument"})));
	EXPECT_CALL(swap_, swapon("/dev/zram0", io::SwapPriority(5))).WillOnce(Return(ok()));
	directive(1, {{"swap-mode", "prefer-fast"}});
	EXPECT_EQ(ack("result"), "refused");
	EXPECT_THAT(ack("reason"), HasSubstr("zram0"));
}

TEST_F(AgentTest, ReclaimGoesThroughMemoryReclaim)
{
	Agent agent = make_agent();
	ASSERT_TRUE(agent.start().ok());
	directive(1, {{"reclaim-kb", "4096"}});
	EXPECT_EQ(ack("result"), "applied") << ack("reason");
	EXPECT_EQ(get("sys/fs/cgroup/memory.reclaim"), "4096K");
}

TEST_F(AgentTest, ReclaimStopsWhenMemoryPressureIsHigh)
{
	put("proc/pressure/memory", "some avg10=55.00 avg60=10.00 avg300=1.00 total=100\n"
				    "full avg10=20.00 avg60=5.00 avg300=0.50 total=50\n");
	Agent agent = make_agent();
	ASSERT_TRUE(agent.start().ok());
	directive(1, {{"reclaim-kb", "4096"}});
	EXPECT_EQ(ack("result"), "refused") << ack("reason");
	EXPECT_EQ(get("sys/fs/cgroup/memory.reclaim"), "");
}

TEST_F(AgentTest, ReclaimInStepsOfTheConfiguredSize)
{
	Config config;
	config.reclaim_step_kb = 1024;
	Agent agent = make_agent(config);
	Outcome out = agent.reclaim(3072, "test");
	EXPECT_EQ(out.result, AckResult::applied) << out.reason;
	// Each step is one write of 1024K over the last (a temp file keeps the longest).
	EXPECT_EQ(value("sys/fs/cgroup/memory.reclaim"), "1024K");
}

TEST_F(AgentTest, WithoutMemoryReclaimDropCachesOnlyWhenAllowed)
{
	fs::remove(root_ / "sys/fs/cgroup/memory.reclaim");
	put("proc/sys/vm/drop_caches", "");
	{
		Agent agent = make_agent();
		Outcome out = agent.reclaim(4096, "test");
		EXPECT_EQ(out.result, AckResult::refused) << out.reason;
		EXPECT_EQ(get("proc/sys/vm/drop_caches"), "");
	}
	Config config;
	config.drop_caches_allowed = true;
	Agent agent = make_agent(config);
	Outcome out = agent.reclaim(4096, "test");
	EXPECT_NE(out.result, AckResult::refused) << out.reason;
	EXPECT_EQ(get("proc/sys/vm/drop_caches"), "1");
}

TEST_F(AgentTest, LocalReclaimIsBoundedByTheConfig)
{
	Config config;
	config.max_reclaim_kb = 1024;
	Agent agent = make_agent(config);
	Outcome out = agent.reclaim(4096, "test");
	EXPECT_EQ(out.result, AckResult::refused);
	EXPECT_EQ(get("sys/fs/cgroup/memory.reclaim"), "");
}

class FakeLimits : public io::ProcessLimits {
public:
	std::map<int, ProcessLimit> limits;
	std::vector<int> sets;
	io::Result<ProcessLimit> get(int resource) override { return limits.at(resource); }
	io::Result<void> set(int resource, const ProcessLimit &limit) override
	{
		limits[resource] = limit;
		sets.push_back(resource);
		return {};
	}
};

class InitLimitsTest : public AgentTest {
protected:
	void module(const char *state, std::uint64_t computed, std::uint64_t boot = 3511)
	{
		put("sys/kernel/xen_memtune/state", std::string(state) + "\n");
		put("sys/kernel/xen_memtune/tunables/threads_max/computed",
		    std::to_string(computed) + "\n");
		put("sys/kernel/xen_memtune/tunables/threads_max/boot_value",
		    std::to_string(boot) + "\n");
	}
	io::Procfs kernel() { return io::Procfs(root_ / "proc", root_ / "sys"); }
	fs::path state_file() { return root_ / "run/xen-memtune/init-limits"; }

	FakeLimits limits_;
};

TEST_F(InitLimitsTest, FollowASettledGrowThenShrinkAcrossARestart)
{
	// Booted at 512 MiB: threads-max 3511, init's limits 1755 (a real 6.1 guest).
	limits_.limits = {{RLIMIT_NPROC, {1755, 1755}}, {RLIMIT_SIGPENDING, {1755, 1755}}};
	{
		InitLimitsFollower follower(limits_, state_file());
		module("settling", 23000);
		follower.tick(kernel());
		EXPECT_TRUE(limits_.sets.empty()); // not settled yet
		module("idle", 23000);
		follower.tick(kernel());
		EXPECT_EQ(limits_.limits[RLIMIT_NPROC], (ProcessLimit{11500, 11500}));
		EXPECT_EQ(limits_.limits[RLIMIT_SIGPENDING], (ProcessLimit{11500, 11500}));
		follower.tick(kernel()); // nothing new: nothing written
		EXPECT_EQ(limits_.sets.size(), 2u);
	}
	EXPECT_EQ(get("run/xen-memtune/init-limits"),
		  "nproc 11500 11500\nsigpending 11500 11500\n");
	// A restarted agent (a package upgrade) still knows 11500 is its own.
	InitLimitsFollower restarted(limits_, state_file());
	module("idle", 3511);
	restarted.tick(kernel());
	EXPECT_EQ(limits_.limits[RLIMIT_NPROC], (ProcessLimit{1755, 1755}));
	EXPECT_EQ(limits_.limits[RLIMIT_SIGPENDING], (ProcessLimit{1755, 1755}));
}

TEST_F(InitLimitsTest, AnAdministratorsLimitWins)
{
	limits_.limits = {{RLIMIT_NPROC, {4096, 4096}}, {RLIMIT_SIGPENDING, {1755, 1755}}};
	InitLimitsFollower follower(limits_, state_file());
	module("idle", 23000);
	follower.tick(kernel());
	EXPECT_EQ(limits_.limits[RLIMIT_NPROC], (ProcessLimit{4096, 4096}));
	EXPECT_EQ(limits_.limits[RLIMIT_SIGPENDING], (ProcessLimit{11500, 11500}));
	EXPECT_EQ(limits_.sets, std::vector<int>{RLIMIT_SIGPENDING});
}

TEST_F(InitLimitsTest, RestoreOnlyWhatTheAgentWrote)
{
	limits_.limits = {{RLIMIT_NPROC, {1755, 1755}}, {RLIMIT_SIGPENDING, {1755, 1755}}};
	InitLimitsFollower follower(limits_, state_file());
	module("idle", 23000);
	follower.tick(kernel());
	limits_.limits[RLIMIT_SIGPENDING] = {9999, 9999}; // the administrator, since
	follower.restore(kernel());
	EXPECT_EQ(limits_.limits[RLIMIT_NPROC], (ProcessLimit{1755, 1755}));
	EXPECT_EQ(limits_.limits[RLIMIT_SIGPENDING], (ProcessLimit{9999, 9999}));
	EXPECT_EQ(get("run/xen-memtune/init-limits"), "sigpending 11500 11500\n");
}

TEST_F(InitLimitsTest, NoModuleNothingDone)
{
	limits_.limits = {{RLIMIT_NPROC, {1755, 1755}}, {RLIMIT_SIGPENDING, {1755, 1755}}};
	put("run/xen-memtune/init-limits", "nproc lots\n"); // a damaged file: logged, ignored
	InitLimitsFollower follower(limits_, state_file());
	follower.tick(kernel());
	Agent agent = make_agent();
	agent.follow_init_limits(&follower);
	ASSERT_TRUE(agent.start().ok());
	agent.tick(1000);
	EXPECT_TRUE(limits_.sets.empty());
}

TEST_F(InitLimitsTest, TheAgentFollowsOnlyWhenTheConfigSaysSo)
{
	limits_.limits = {{RLIMIT_NPROC, {1755, 1755}}, {RLIMIT_SIGPENDING, {1755, 1755}}};
	module("idle", 23000);
	InitLimitsFollower follower(limits_, state_file());
	Config off;
	off.init_limits_follow = false;
	Agent agent = make_agent(off);
	agent.follow_init_limits(&follower);
	ASSERT_TRUE(agent.start().ok());
	agent.tick(1000);
	EXPECT_TRUE(limits_.sets.empty());
	agent.replace_config(Config{});
	agent.tick(2000);
	EXPECT_EQ(limits_.limits[RLIMIT_NPROC], (ProcessLimit{11500, 11500}));
}

TEST(CombineOutcomes, Table)
{
	using R = AckResult;
	struct Case {
		std::vector<Outcome> parts;
		R want;
		std::string reason;
	} cases[] = {
		{{{R::applied, ""}}, R::applied, ""},
		{{{R::applied, ""}, {R::applied, ""}}, R::applied, ""},
		{{{R::applied, ""}, {R::refused, "b"}}, R::partial, "b"},
		{{{R::refused, "a"}, {R::refused, "b"}}, R::refused, "a; b"},
		{{{R::partial, "a"}}, R::partial, "a"},
		{{{R::partial, "a"}, {R::refused, "b"}}, R::partial, "a; b"},
	};
	for (const auto &c : cases) {
		Outcome out = combine_outcomes(c.parts);
		EXPECT_EQ(out.result, c.want);
		EXPECT_EQ(out.reason, c.reason);
	}
}

TEST(ReconnectDelay, DoublesFromOneSecondUpToThirty)
{
	const std::uint64_t want[] = {1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
	for (unsigned i = 0; i < std::size(want); i++)
		EXPECT_EQ(reconnect_delay_ms(i), want[i]) << i;
	EXPECT_EQ(reconnect_delay_ms(1000000), 30000u);
}

} // namespace
} // namespace memtune::daemon
