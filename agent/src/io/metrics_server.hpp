// The HTTP edge of /metrics: cpp-httplib serving the last exposition a daemon rendered.
//
// Why a thread and not the daemons' sd-event loop: HTTP is parsed by a library that is kept up
// (Debian's libcpp-httplib), and that library runs its own blocking accept loop. So it gets a
// thread of its own, with every signal blocked (sd-event reads SIGTERM/SIGHUP from a signalfd
// in the main thread), and it never touches the daemon's state: the event loop renders the
// text after each interval and hands it over with publish(); a request only copies the latest
// text under a mutex. A slow or hostile client can hold an HTTP worker, never the loop.
#pragma once

#include <memory>
#include <string>

#include "core/metrics.hpp"
#include "io/result.hpp"

namespace memtune::io {

class MetricsServer {
public:
	// Binds address now (so a taken port is an error here, not later) and serves in a
	// thread: GET /metrics answers the last published text (503 before the first), every
	// other path 404.
	static Result<std::unique_ptr<MetricsServer>> start(const metrics::ListenAddress &address);
	// Stops listening and joins the threads (a request in progress ends first).
	~MetricsServer();
	MetricsServer(const MetricsServer &) = delete;
	MetricsServer &operator=(const MetricsServer &) = delete;

	// The exposition every following request gets.
	void publish(std::string exposition);

	struct State; // the library's server and the published text
	explicit MetricsServer(std::unique_ptr<State> state);

private:
	std::unique_ptr<State> state_;
};

} // namespace memtune::io
