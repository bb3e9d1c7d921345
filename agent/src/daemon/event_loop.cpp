#include "daemon/event_loop.hpp"

#include <sys/signalfd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <ctime>

#include <systemd/sd-daemon.h>

#include "io/journal.hpp"

namespace memtune::daemon {
namespace {

constexpr std::uint64_t usec_per_ms = 1000;

std::uint64_t clock_ms(clockid_t clock)
{
	timespec ts{};
	clock_gettime(clock, &ts);
	return static_cast<std::uint64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Time spent suspended: CLOCK_BOOTTIME runs on through a suspend, CLOCK_MONOTONIC does not.
std::int64_t boot_minus_monotonic_ms()
{
	return static_cast<std::int64_t>(clock_ms(CLOCK_BOOTTIME)) -
	       static_cast<std::int64_t>(clock_ms(CLOCK_MONOTONIC));
}

constexpr int handled_signals[] = {SIGTERM, SIGINT, SIGHUP};

} // namespace

std::uint64_t reconnect_delay_ms(unsigned failed_attempts)
{
	constexpr std::uint64_t first_ms = 1000, max_ms = 30000;
	if (failed_attempts >= 5)
		return max_ms;
	return std::min(max_ms, first_ms << failed_attempts);
}

io::Result<std::unique_ptr<EventLoop>> EventLoop::create(Agent &agent, io::XenStore &xenstore,
							 std::uint64_t sample_ms)
{
	auto self = std::make_unique<EventLoop>(Token{}, agent, xenstore, sample_ms);
	sd_event *loop = nullptr;
	int r = sd_event_new(&loop);
	if (r < 0)
		return io::errno_error("sd_event_new", -r);
	self->loop_.reset(loop);

	sigset_t block;
	sigemptyset(&block);
	for (int sig : handled_signals)
		sigaddset(&block, sig);
	sigprocmask(SIG_BLOCK, &block, nullptr);
	for (std::size_t i = 0; i < std::size(handled_signals); i++) {
		sd_event_source *source = nullptr;
		r = sd_event_add_signal(loop, &source, handled_signals[i], on_signal, self.get());
		if (r < 0)
			return io::errno_error("sd_event_add_signal", -r);
		self->signal_sources_[i].reset(source);
	}

	// Sends WATCHDOG=1 at half of WatchdogSec when systemd asked for it; a no-op otherwise.
	sd_event_set_watchdog(loop, 1);

	if (auto watched = self->watch_xenstore_fd(); !watched)
		return watched.error();

	sd_event_source *tick = nullptr;
	r = sd_event_add_time_relative(loop, &tick, CLOCK_MONOTONIC, 0, 0, on_tick, self.get());
	if (r < 0)
		return io::errno_error("sd_event_add_time_relative", -r);
	self->tick_source_.reset(tick);
	self->boot_minus_monotonic_ms_ = boot_minus_monotonic_ms();
	return self;
}

io::Result<void> EventLoop::watch_xenstore_fd()
{
	xenstore_source_.reset();
	int fd = xs_.event_fd();
	if (fd < 0)
		return io::Error{ENOTCONN, "xenstore: no event fd"};
	sd_event_source *source = nullptr;
	int r = sd_event_add_io(loop_.get(), &source, fd, EPOLLIN, on_xenstore, this);
	if (r < 0)
		return io::errno_error("sd_event_add_io (xenstore)", -r);
	xenstore_source_.reset(source);
	return {};
}

int EventLoop::run()
{
	sd_notify(0, "READY=1\nSTATUS=Publishing the memory report");
	int r = sd_event_loop(loop_.get());
	sd_notify(0, "STOPPING=1");
	return r < 0 ? 1 : r;
}

void EventLoop::schedule_tick(std::uint64_t delay_ms)
{
	sd_event_source_set_time_relative(tick_source_.get(), delay_ms * usec_per_ms);
	sd_event_source_set_enabled(tick_source_.get(), SD_EVENT_ONESHOT);
}

void EventLoop::tick_now()
{
	schedule_tick(0);
}

void EventLoop::connection_lost(const std::string &why)
{
	if (reconnect_source_)
		return;
	io::log_message(LOG_WARNING, "xenstore connection lost (" + why + "); reconnecting");
	xenstore_source_.reset();
	sd_event_source *source = nullptr;
	if (sd_event_add_time_relative(loop_.get(), &source, CLOCK_MONOTONIC,
				       reconnect_delay_ms(reconnect_failures_) * usec_per_ms, 0,
				       on_reconnect, this) >= 0)
		reconnect_source_.reset(source);
}

int EventLoop::on_xenstore(sd_event_source *, int, uint32_t, void *userdata)
{
	auto *self = static_cast<EventLoop *>(userdata);
	if (auto dispatched = self->xs_.dispatch_watch_events(); !dispatched)
		self->connection_lost(dispatched.error().message);
	return 0;
}

int EventLoop::on_tick(sd_event_source *, uint64_t, void *userdata)
{
	auto *self = static_cast<EventLoop *>(userdata);
	std::uint64_t now = clock_ms(CLOCK_MONOTONIC);

	std::int64_t suspended = boot_minus_monotonic_ms();
	if (suspended - self->boot_minus_monotonic_ms_ > 1000)
		self->agent_.force_publish("resumed after a suspend", Agent::Rewrite::every_key);
	self->boot_minus_monotonic_ms_ = suspended;

	// libxenstore does not wake the loop when its connection dies; a non-blocking look at
	// the event queue is how the loop notices.
	if (self->xs_.connected()) {
		if (auto probed = self->xs_.dispatch_watch_events(); !probed)
			self->connection_lost(probed.error().message);
	} else {
		self->connection_lost("not connected");
	}

	std::uint64_t recheck = self->agent_.tick(now);
	if (self->after_tick)
		self->after_tick();
	std::uint64_t delay = self->sample_ms_;
	if (recheck > now)
		delay = std::min(delay, recheck - now);
	self->schedule_tick(std::max<std::uint64_t>(delay, 100));
	return 0;
}

int EventLoop::on_reconnect(sd_event_source *, uint64_t, void *userdata)
{
	auto *self = static_cast<EventLoop *>(userdata);
	self->reconnect_source_.reset();
	auto reconnected = self->xs_.reconnect();
	if (reconnected)
		reconnected = self->watch_xenstore_fd();
	if (!reconnected) {
		self->reconnect_failures_++;
		io::log_message(LOG_WARNING, "xenstore reconnect failed: " +
						     reconnected.error().message + "; next try in " +
						     std::to_string(reconnect_delay_ms(
							     self->reconnect_failures_) / 1000) +
						     " s");
		self->connection_lost("reconnect failed");
		return 0;
	}
	self->reconnect_failures_ = 0;
	io::log_message(LOG_NOTICE, "xenstore connection re-opened, watches registered again");
	self->agent_.force_publish("xenstore reconnected", Agent::Rewrite::every_key);
	self->tick_now();
	return 0;
}

int EventLoop::on_signal(sd_event_source *source, const struct signalfd_siginfo *si,
			 void *userdata)
{
	auto *self = static_cast<EventLoop *>(userdata);
	if (si->ssi_signo == SIGHUP) {
		if (self->on_reload)
			self->on_reload();
		return 0;
	}
	io::log_message(LOG_INFO, std::string("stopping on ") + strsignal(si->ssi_signo));
	return sd_event_exit(sd_event_source_get_event(source), 0);
}

} // namespace memtune::daemon
