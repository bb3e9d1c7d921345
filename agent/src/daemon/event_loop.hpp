// One sd-event loop multiplexes everything the daemon waits for: the xenstore watch pipe, the
// sampling timer, the reconnect timer, SIGTERM/SIGINT/SIGHUP, D-Bus and the systemd watchdog.
// Every action runs to completion inside one callback, so a SIGTERM that arrives during a swap
// change is read from the signalfd only after every device is back on.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include <systemd/sd-event.h>

#include "daemon/agent.hpp"
#include "io/xenstore.hpp"

namespace memtune::daemon {

struct SdEventUnref {
	void operator()(sd_event *e) const { sd_event_unref(e); }
};
struct SdEventSourceUnref {
	void operator()(sd_event_source *s) const { sd_event_source_disable_unref(s); }
};
using EventSource = std::unique_ptr<sd_event_source, SdEventSourceUnref>;

// Reconnect delays: 1 s, doubling, at most 30 s.
std::uint64_t reconnect_delay_ms(unsigned failed_attempts);

class EventLoop {
	struct Token {
		explicit Token() = default;
	};

public:
	// Blocks the termination signals (sd-event reads them from a signalfd) and sets up every
	// source but D-Bus, which attaches itself through event().
	static io::Result<std::unique_ptr<EventLoop>> create(Agent &agent, io::XenStore &xenstore,
							     std::uint64_t sample_ms);

	sd_event *event() { return loop_.get(); }
	// Runs until SIGTERM or SIGINT; returns the exit code.
	int run();
	// Runs the next tick now (D-Bus Refresh()).
	void tick_now();

	// SIGHUP: the caller re-reads the config.
	std::function<void()> on_reload;
	// After every tick (the /metrics exporter renders then).
	std::function<void()> after_tick;

	// Public for make_unique; only members can name the private Token.
	EventLoop(Token, Agent &agent, io::XenStore &xenstore, std::uint64_t sample_ms)
		: agent_(agent), xs_(xenstore), sample_ms_(sample_ms)
	{
	}

private:

	io::Result<void> watch_xenstore_fd();
	void connection_lost(const std::string &why);
	void schedule_tick(std::uint64_t delay_ms);

	static int on_xenstore(sd_event_source *, int fd, uint32_t revents, void *userdata);
	static int on_tick(sd_event_source *, uint64_t usec, void *userdata);
	static int on_reconnect(sd_event_source *, uint64_t usec, void *userdata);
	static int on_signal(sd_event_source *, const struct signalfd_siginfo *si, void *userdata);

	Agent &agent_;
	io::XenStore &xs_;
	std::uint64_t sample_ms_;
	std::unique_ptr<sd_event, SdEventUnref> loop_;
	EventSource xenstore_source_;
	EventSource tick_source_;
	EventSource reconnect_source_;
	EventSource signal_sources_[3];
	unsigned reconnect_failures_ = 0;
	std::int64_t boot_minus_monotonic_ms_ = 0;
};

} // namespace memtune::daemon
