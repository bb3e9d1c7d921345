// xen-memtune-arbiter: the Dom0 half of xen-memtune that decides. Reads top-down: arguments ->
// config -> preflight (Xen memory, xenstore, the status directory) -> event loop (interval
// timer, SIGTERM/SIGINT/SIGHUP, watchdog) -> READY=1 -> run.
#include <sys/signalfd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "arbiter/service.hpp"
#include "arbiter/xen_memory.hpp"
#include "core/arbiter_config.hpp"
#include "daemon/config_files.hpp"
#include "daemon/event_loop.hpp"
#include "io/journal.hpp"

using namespace memtune;

namespace {

struct Options {
	std::string config_path = "/etc/xen-memtune/arbiter.conf";
	std::string proc_root = "/proc";
	std::string sys_root = "/sys";
	arbiter::ServicePaths paths;
	std::string fake_xen;
	std::string log_target = "auto";
	bool debug = false;
	bool check_config = false;
};

int fail(const std::string &message)
{
	io::log_message(LOG_ERR, message);
	return 1;
}

io::Result<arbiter::Config> load(const std::string &path)
{
	auto sources = daemon::read_config_sources(path);
	if (!sources)
		return sources.error();
	auto config = arbiter::parse_config(*sources);
	if (!config)
		return io::Error{EINVAL, config.error().message};
	return *config;
}

std::uint64_t clock_ms(clockid_t clock)
{
	timespec ts{};
	clock_gettime(clock, &ts);
	return static_cast<std::uint64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

struct Loop {
	arbiter::Service &service;
	const Options &options;
	daemon::EventSource timer;
};

int on_tick(sd_event_source *source, uint64_t usec, void *userdata)
{
	auto *loop = static_cast<Loop *>(userdata);
	loop->service.tick(clock_ms(CLOCK_MONOTONIC), clock_ms(CLOCK_REALTIME) / 1000);
	// Next interval from the planned time, so the rate does not drift with the work done; but
	// never in the past (after a stall or a suspend), which would fire a burst of catch-ups.
	std::uint64_t now = usec;
	sd_event_now(sd_event_source_get_event(source), CLOCK_MONOTONIC, &now);
	const std::uint64_t interval = loop->service.config().interval_ms * 1000;
	sd_event_source_set_time(source, std::max(usec + interval, now + interval / 2));
	sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
	return 0;
}

int on_signal(sd_event_source *source, const struct signalfd_siginfo *si, void *userdata)
{
	auto *loop = static_cast<Loop *>(userdata);
	if (si->ssi_signo == SIGHUP) {
		auto reloaded = load(loop->options.config_path);
		if (!reloaded) {
			io::log_message(LOG_ERR, "SIGHUP: config not reloaded: " +
							 reloaded.error().message);
			return 0;
		}
		loop->service.replace_config(*reloaded);
		io::log_message(LOG_NOTICE, "SIGHUP: config reloaded from " +
						    loop->options.config_path + "; mode " +
						    std::string(to_string(reloaded->mode)));
		return 0;
	}
	io::log_message(LOG_INFO, std::string("stopping on ") + strsignal(si->ssi_signo));
	return sd_event_exit(sd_event_source_get_event(source), 0);
}

} // namespace

int main(int argc, char **argv)
{
	Options opt;
	CLI::App app{"xen-memtune-arbiter: finds the guest whose swapping onto shared storage hurts "
		     "its neighbours and steers it; shares memory among guests that opt in"};
	app.add_option("-c,--config", opt.config_path, "Main config file; drop-ins in <file>.d/")
		->capture_default_str();
	app.add_option("--proc-root", opt.proc_root, "Where procfs is (tests)")->capture_default_str();
	app.add_option("--sys-root", opt.sys_root, "Where sysfs is (tests)")->capture_default_str();
	app.add_option("--status-file", opt.paths.status_file,
		       "Where the status for `memtunectl arbiter` goes")
		->capture_default_str();
	app.add_option("--kill-switch", opt.paths.kill_switch,
		       "While this file exists, observe only")
		->capture_default_str();
	app.add_option("--fake-xen", opt.fake_xen,
		       "Read Xen memory from this JSON file instead of libxl (tests)");
	app.add_option("--log", opt.log_target, "Where logs go")
		->check(CLI::IsMember({"auto", "journal", "stderr"}))
		->capture_default_str();
	app.add_flag("-d,--debug", opt.debug, "Log every decision, also those it would take");
	app.add_flag("--check-config", opt.check_config, "Validate the config and exit");
	CLI11_PARSE(app, argc, argv);

	io::set_log_identifier("xen-memtune-arbiter");
	io::set_log_target(opt.log_target == "journal"  ? io::LogTarget::journal
			   : opt.log_target == "stderr" ? io::LogTarget::stderr_only
							: io::LogTarget::automatic);
	io::set_log_debug(opt.debug);

	auto config = load(opt.config_path);
	if (!config)
		return fail("config: " + config.error().message);
	if (opt.check_config) {
		std::printf("%s: ok\n", opt.config_path.c_str());
		return 0;
	}

	// Preflight: Xen's memory, xenstore, somewhere to put the status.
	auto xen = opt.fake_xen.empty() ? arbiter::open_libxl() : arbiter::open_file_memory(opt.fake_xen);
	if (!xen)
		return fail("preflight: Xen memory: " + xen.error().message +
			    " (run in Dom0 as root, with xenstored running)");
	if (auto host = (*xen)->read(); !host)
		return fail("preflight: Xen memory: " + host.error().message);
	auto xenstore = io::open_xenstore();
	if (!xenstore)
		return fail("preflight: cannot reach xenstore: " + xenstore.error().message);
	std::error_code ec;
	std::filesystem::create_directories(
		std::filesystem::path(opt.paths.status_file).parent_path(), ec);
	if (ec)
		return fail("preflight: " + opt.paths.status_file + ": " + ec.message());

	arbiter::Service service{*config, **xenstore, **xen, io::Procfs{opt.proc_root, opt.sys_root},
				 opt.paths};
	Loop loop{service, opt, nullptr};

	sd_event *raw = nullptr;
	if (int r = sd_event_new(&raw); r < 0)
		return fail(std::string("sd_event_new: ") + strerror(-r));
	std::unique_ptr<sd_event, daemon::SdEventUnref> event(raw);
	sigset_t block;
	sigemptyset(&block);
	for (int sig : {SIGTERM, SIGINT, SIGHUP})
		sigaddset(&block, sig);
	sigprocmask(SIG_BLOCK, &block, nullptr);
	daemon::EventSource signals[3];
	int i = 0;
	for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
		sd_event_source *source = nullptr;
		if (int r = sd_event_add_signal(event.get(), &source, sig, on_signal, &loop); r < 0)
			return fail(std::string("sd_event_add_signal: ") + strerror(-r));
		signals[i++].reset(source);
	}
	sd_event_set_watchdog(event.get(), 1);
	sd_event_source *timer = nullptr;
	if (int r = sd_event_add_time_relative(event.get(), &timer, CLOCK_MONOTONIC, 0, 0, on_tick,
					       &loop); r < 0)
		return fail(std::string("sd_event_add_time_relative: ") + strerror(-r));
	loop.timer.reset(timer);

	// After the signals are blocked; the server's thread blocks every signal anyway.
	if (const auto &listen = config->metrics_listen) {
		if (auto server = io::MetricsServer::start(*listen); server) {
			service.serve_metrics(std::move(*server));
			io::log_message(LOG_INFO, "metrics: serving /metrics on " + listen->text());
		} else {
			// Deciding does not need it; run on without it.
			io::log_message(LOG_ERR, "metrics: " + server.error().message +
							 "; running without /metrics");
		}
	}

	io::log_message(LOG_INFO, "started in " + std::string(to_string(config->mode)) + " mode");
	sd_notify(0, "READY=1\nSTATUS=Watching the shared disks");
	int r = sd_event_loop(event.get());
	sd_notify(0, "STOPPING=1");
	return r < 0 ? 1 : r;
}
