// The HTTP edge of /metrics (io/metrics_server.hpp) on a real local socket: what it answers
// before and after the first publish, other paths, a port already taken, and a stop while a
// client holds a connection open.
#include "io/metrics_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include <gtest/gtest.h>
#include <httplib.h>

namespace memtune::io {
namespace {

// A port nobody listens on now (the kernel's pick for port 0).
std::uint16_t free_port()
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	sockaddr_in addr{};
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
	socklen_t length = sizeof addr;
	getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &length);
	close(fd);
	return ntohs(addr.sin_port);
}

TEST(MetricsServer, ServesTheLastPublishedText)
{
	const metrics::ListenAddress address{"127.0.0.1", free_port(), false};
	auto server = MetricsServer::start(address);
	ASSERT_TRUE(server) << server.error().message;
	httplib::Client client("127.0.0.1", address.port);

	auto before = client.Get("/metrics");
	ASSERT_TRUE(before);
	EXPECT_EQ(before->status, 503);

	(*server)->publish("xenmemtune_a 1\n");
	(*server)->publish("xenmemtune_a 2\n");
	auto after = client.Get("/metrics");
	ASSERT_TRUE(after);
	EXPECT_EQ(after->status, 200);
	EXPECT_EQ(after->body, "xenmemtune_a 2\n");
	EXPECT_EQ(after->get_header_value("Content-Type"), metrics::content_type);

	for (const char *path : {"/", "/metrics/x", "/../metrics"}) {
		auto other = client.Get(path);
		ASSERT_TRUE(other) << path;
		EXPECT_EQ(other->status, 404) << path;
	}
	auto post = client.Post("/metrics", "x", "text/plain");
	ASSERT_TRUE(post);
	EXPECT_NE(post->status, 200);
}

TEST(MetricsServer, TakenPortIsAnError)
{
	const metrics::ListenAddress address{"127.0.0.1", free_port(), false};
	auto first = MetricsServer::start(address);
	ASSERT_TRUE(first) << first.error().message;
	auto second = MetricsServer::start(address);
	ASSERT_FALSE(second);
	EXPECT_EQ(second.error().message,
		  "cannot listen on 127.0.0.1:" + std::to_string(address.port) +
			  ": Address already in use");
	EXPECT_EQ(second.error().code, EADDRINUSE);
}

TEST(MetricsServer, StopsWhileAClientKeepsItsConnection)
{
	const metrics::ListenAddress address{"127.0.0.1", free_port(), false};
	auto server = MetricsServer::start(address);
	ASSERT_TRUE(server) << server.error().message;
	(*server)->publish("xenmemtune_a 1\n");
	httplib::Client client("127.0.0.1", address.port);
	client.set_keep_alive(true);
	ASSERT_TRUE(client.Get("/metrics"));
	const auto started = std::chrono::steady_clock::now();
	server->reset();
	// The keep-alive wait is bounded (2 s), so a daemon's stop is too.
	EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
}

TEST(MetricsServer, StopsRightAfterStart)
{
	for (int i = 0; i < 20; i++) {
		auto server = MetricsServer::start({"127.0.0.1", free_port(), false});
		ASSERT_TRUE(server) << server.error().message;
	}
}

} // namespace
} // namespace memtune::io
