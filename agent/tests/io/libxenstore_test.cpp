// LibXenStore against tests/fake-xenstored (the real wire protocol over a unix socket, reached
// through XENSTORED_PATH as libxenstore documents): relative paths, permissions, watches
// (initial fire, draining, subpaths, unwatch), EAGAIN commits, and reconnecting after the
// server went away.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "io/xenstore.hpp"

#ifndef FAKE_XENSTORED_DIR
#error "FAKE_XENSTORED_DIR must name tests/fake-xenstored"
#endif

namespace memtune::io {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class FakeServer : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/memtune-libxs-test-XXXXXX";
		ASSERT_NE(mkdtemp(tmpl), nullptr);
		dir_ = tmpl;
		start_server();
	}

	void TearDown() override
	{
		stop_server();
		unsetenv("XENSTORED_PATH");
		fs::remove_all(dir_);
	}

	void start_server()
	{
		fs::remove(dir_ / "ready");
		std::string script = std::string(FAKE_XENSTORED_DIR) + "/fake_xenstored.py";
		std::string dir = dir_.string(), ready = (dir_ / "ready").string();
		server_ = fork();
		ASSERT_GE(server_, 0);
		if (server_ == 0) {
			freopen("/dev/null", "w", stdout);
			execlp("python3", "python3", script.c_str(), "--dir", dir.c_str(), "--domain",
			       "5:guest:1048576:2097152", "--ready-file", ready.c_str(), nullptr);
			_exit(127);
		}
		for (int i = 0; i < 500 && !fs::exists(dir_ / "ready"); i++)
			std::this_thread::sleep_for(20ms);
		ASSERT_TRUE(fs::exists(dir_ / "ready")) << "fake-xenstored did not start";
	}

	void stop_server()
	{
		if (server_ > 0) {
			kill(server_, SIGTERM);
			waitpid(server_, nullptr, 0);
			server_ = -1;
		}
	}

	std::unique_ptr<XenStore> connect(unsigned domid)
	{
		std::string sock = (dir_ / (domid == 0 ? "dom0.sock"
						       : "domU-" + std::to_string(domid) + ".sock"))
					   .string();
		setenv("XENSTORED_PATH", sock.c_str(), 1);
		auto xs = open_xenstore();
		EXPECT_TRUE(xs.ok()) << (xs.ok() ? "" : xs.error().message);
		return xs.ok() ? std::move(*xs) : nullptr;
	}

	void control(const std::string &command, const std::string &arg)
	{
		std::string cmd = "python3 " + std::string(FAKE_XENSTORED_DIR) + "/xsclient.py " +
				  (dir_ / "dom0.sock").string() + " control " + command + " " + arg +
				  " >/dev/null";
		ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
	}

	// Waits for watch events until pred() holds or 5 s pass.
	template <class Pred>
	bool wait_until(XenStore &xs, Pred pred)
	{
		auto deadline = std::chrono::steady_clock::now() + 5s;
		while (!pred()) {
			if (std::chrono::steady_clock::now() > deadline)
				return false;
			auto r = wait_for_watch_events(xs, 100ms);
			if (!r.ok())
				return false;
		}
		return true;
	}

	fs::path dir_;
	pid_t server_ = -1;
};

TEST_F(FakeServer, GuestReadsAndWritesRelativeToItsHome)
{
	auto guest = connect(5);
	ASSERT_TRUE(guest);
	ASSERT_TRUE(guest->write("data/memtune/version", "1").ok());
	EXPECT_EQ(*guest->read("data/memtune/version"), "1");
	EXPECT_EQ(*guest->read("/local/domain/5/data/memtune/version"), "1");
	auto names = guest->directory("data/memtune");
	ASSERT_TRUE(names.ok());
	EXPECT_THAT(*names, ::testing::ElementsAre("version"));
	ASSERT_TRUE(guest->rm("data/memtune").ok());
	EXPECT_EQ(guest->read("data/memtune/version").code(), ENOENT);
	EXPECT_TRUE(guest->rm("data/memtune").ok()) << "removing a missing node is fine";
}

TEST_F(FakeServer, GuestCannotWriteWhatDom0Owns)
{
	auto guest = connect(5);
	ASSERT_TRUE(guest);
	EXPECT_EQ(*guest->read("memory/target"), "1048576");
	auto w = guest->write("memory/target", "1");
	ASSERT_FALSE(w.ok());
	EXPECT_EQ(w.code(), EACCES);
	EXPECT_FALSE(is_connection_lost(w.error()));
	EXPECT_TRUE(guest->connected());
}

TEST_F(FakeServer, Dom0SetsPermissionsTheGuestThenReads)
{
	auto dom0 = connect(0);
	ASSERT_TRUE(dom0);
	EXPECT_EQ(*dom0->domain_path(5), "/local/domain/5");
	const std::string node = "/local/domain/5/memtune/directive/seq";
	ASSERT_TRUE(dom0->write(node, "3").ok());
	std::vector<Permission> perms{{0, Access::none}, {5, Access::read}};
	ASSERT_TRUE(dom0->set_perms(node, perms).ok());
	EXPECT_EQ(*dom0->get_perms(node), perms);
	auto guest = connect(5);
	ASSERT_TRUE(guest);
	EXPECT_EQ(*guest->read("memtune/directive/seq"), "3");
	EXPECT_EQ(guest->write("memtune/directive/seq", "4").code(), EACCES);
}

TEST_F(FakeServer, WatchFiresOnRegistrationThenForChildrenAndDrainsEveryEvent)
{
	auto guest = connect(5);
	ASSERT_TRUE(guest);
	std::vector<std::string> fired;
	auto token = guest->watch("data/w", [&](const std::string &path) { fired.push_back(path); });
	ASSERT_TRUE(token.ok());
	ASSERT_TRUE(wait_until(*guest, [&] { return fired.size() >= 1; })) << "no initial event";
	EXPECT_THAT(fired[0], ::testing::EndsWith("data/w"));
	fired.clear();
	// Five events queued before the loop looks: one wake-up must deliver all of them.
	for (int i = 0; i < 5; i++)
		ASSERT_TRUE(guest->write("data/w/n" + std::to_string(i), "x").ok());
	ASSERT_TRUE(wait_until(*guest, [&] { return fired.size() >= 5; }))
		<< "only " << fired.size() << " events";
	EXPECT_THAT(fired.back(), ::testing::EndsWith("data/w/n4"));
}

TEST_F(FakeServer, NoEventsAfterUnwatch)
{
	auto guest = connect(5);
	ASSERT_TRUE(guest);
	int fired = 0;
	auto token = guest->watch("data/u", [&](const std::string &) { fired++; });
	ASSERT_TRUE(token.ok());
	ASSERT_TRUE(wait_until(*guest, [&] { return fired >= 1; }));
	guest->unwatch(*token);
	ASSERT_TRUE(guest->write("data/u", "changed").ok());
	auto r = wait_for_watch_events(*guest, 300ms);
	ASSERT_TRUE(r.ok());
	EXPECT_EQ(fired, 1);
}

TEST_F(FakeServer, TransactionRunsAgainAfterEagain)
{
	auto guest = connect(5);
	ASSERT_TRUE(guest);
	control("fake-eagain", "2");
	int runs = 0;
	auto r = with_transaction(*guest, [&](TransactionId tx) {
		runs++;
		return guest->write("data/t", std::to_string(runs), tx);
	});
	ASSERT_TRUE(r.ok()) << r.error().message;
	EXPECT_EQ(runs, 3);
	EXPECT_EQ(*guest->read("data/t"), "3");
}

TEST_F(FakeServer, AbortedTransactionWritesNothing)
{
	auto guest = connect(5);
	ASSERT_TRUE(guest);
	auto r = with_transaction(*guest, [&](TransactionId tx) -> Result<void> {
		(void)guest->write("data/a", "1", tx);
		return Error{EINVAL, "body refused"};
	});
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(guest->read("data/a").code(), ENOENT);
}

TEST_F(FakeServer, ReconnectAfterTheServerRestartsRegistersTheWatchesAgain)
{
	auto guest = connect(5);
	ASSERT_TRUE(guest);
	int fired = 0;
	ASSERT_TRUE(guest->watch("data/r", [&](const std::string &) { fired++; }).ok());
	ASSERT_TRUE(wait_until(*guest, [&] { return fired >= 1; }));

	stop_server();
	// libxenstore notices on its own thread; the next look at the queue or request fails.
	bool lost = false;
	for (int i = 0; i < 50 && !lost; i++) {
		lost = !guest->dispatch_watch_events().ok() || !guest->read("data/r").ok();
		std::this_thread::sleep_for(20ms);
	}
	ASSERT_TRUE(lost);
	EXPECT_FALSE(guest->connected());
	EXPECT_EQ(guest->event_fd(), -1);
	EXPECT_EQ(guest->read("data/r").code(), ENOTCONN);

	start_server();
	ASSERT_TRUE(guest->reconnect().ok());
	EXPECT_TRUE(guest->connected());
	EXPECT_GE(guest->event_fd(), 0);
	fired = 0;
	ASSERT_TRUE(wait_until(*guest, [&] { return fired >= 1; })) << "watch not registered again";
	ASSERT_TRUE(guest->write("data/r", "x").ok());
	ASSERT_TRUE(wait_until(*guest, [&] { return fired >= 2; }));
}

} // namespace
} // namespace memtune::io
