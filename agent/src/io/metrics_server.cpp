#include "io/metrics_server.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <mutex>
#include <thread>

#include <httplib.h>

namespace memtune::io {

struct MetricsServer::State {
	httplib::Server http;
	std::mutex lock; // protects text; held only to copy the pointer
	std::shared_ptr<const std::string> text;
	std::thread thread;
};

namespace {

// Two workers: Prometheus keeps its connection open between scrapes, and a second client
// (curl, a second Prometheus) should not wait for that to time out.
constexpr std::size_t http_workers = 2;
constexpr time_t io_timeout_s = 5;
constexpr time_t keep_alive_s = 2;

} // namespace

MetricsServer::MetricsServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const metrics::ListenAddress &address)
{
	auto state = std::make_unique<State>();
	State *s = state.get();
	auto &http = s->http;
	// The library owns the queue it gets from this factory (its API takes a raw pointer).
	http.new_task_queue = [] { return new httplib::ThreadPool(http_workers); };
	http.set_read_timeout(io_timeout_s);
	http.set_write_timeout(io_timeout_s);
	http.set_keep_alive_timeout(keep_alive_s);
	http.set_payload_max_length(4096); // a scrape has no body
	// SO_REUSEADDR (a restart binds again while old connections linger) but not the library's
	// default SO_REUSEPORT, with which a second daemon would silently share the port and
	// answer half the scrapes instead of failing to start its exporter.
	http.set_socket_options([](socket_t sock) {
		int yes = 1;
		setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
	});
	http.Get("/metrics", [s](const httplib::Request &, httplib::Response &response) {
		std::shared_ptr<const std::string> text;
		{
			std::lock_guard guard(s->lock);
			text = s->text;
		}
		if (!text) {
			response.status = 503;
			response.set_content("no sample yet\n", "text/plain");
			return;
		}
		response.set_content(*text, metrics::content_type);
	});
	http.set_address_family(address.ipv6 ? AF_INET6 : AF_INET);
	// The library says only whether it worked; errno is what its last bind(2) or listen(2)
	// said (EADDRINUSE, EADDRNOTAVAIL, EACCES below 1024: the units grant no
	// CAP_NET_BIND_SERVICE).
	errno = 0;
	if (!http.bind_to_port(address.host, address.port)) {
		const std::string what = "cannot listen on " + address.text();
		return errno ? errno_error(what)
			     : Error{EADDRNOTAVAIL, what + " (port in use, or not an address of "
							  "this host)"};
	}

	// The thread, and the library's workers it starts, inherit this mask: every signal
	// blocked, so SIGTERM and SIGHUP reach the event loop's signalfd and a client that hangs
	// up raises no SIGPIPE (the write fails with EPIPE instead).
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	s->thread = std::thread([s] { s->http.listen_after_bind(); });
	pthread_sigmask(SIG_SETMASK, &old, nullptr);
	// stop() only stops a server that is running: wait until it is, so a daemon told to stop
	// at once cannot leave the thread listening and its destructor joining forever.
	for (int waited_ms = 0; !http.is_running() && waited_ms < 2000; waited_ms++)
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	return std::make_unique<MetricsServer>(std::move(state));
}

MetricsServer::~MetricsServer()
{
	state_->http.stop();
	if (state_->thread.joinable())
		state_->thread.join();
}

void MetricsServer::publish(std::string exposition)
{
	auto text = std::make_shared<const std::string>(std::move(exposition));
	std::lock_guard guard(state_->lock);
	state_->text = std::move(text);
}

} // namespace memtune::io
