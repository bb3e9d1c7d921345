// xen-memtuned: the guest half of xen-memtune.  Reads top-down: arguments -> config ->
// preflight -> event loop (xenstore, timers, signals, D-Bus, watchdog) -> READY=1 -> run.
// Runs under systemd (Type=notify, journal) and without it (a busybox guest: stderr, no bus).
#include <cstdio>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "core/procfs.hpp"
#include "daemon/agent.hpp"
#include "daemon/config_files.hpp"
#include "daemon/dbus_service.hpp"
#include "daemon/event_loop.hpp"
#include "daemon/metrics_exporter.hpp"
#include "io/journal.hpp"
#include "io/limits.hpp"
#include "io/metrics_server.hpp"
#include "io/procfs.hpp"
#include "io/swap.hpp"
#include "io/xenstore.hpp"

using namespace memtune;

namespace {

struct Options {
	std::string config_path = "/etc/xen-memtune/agent.conf";
	std::string proc_root = "/proc";
	std::string sys_root = "/sys";
	bool no_dbus = false;
	std::string bus_address;
	std::string log_target = "auto";
	bool debug = false;
	unsigned sample_ms = 1000;
	bool check_config = false;
	std::string state_dir = "/run/xen-memtune";
};

int fail(const std::string &message)
{
	io::log_message(LOG_ERR, message);
	return 1;
}

} // namespace

int main(int argc, char **argv)
{
	Options opt;
	CLI::App app{"xen-memtuned: reports this Xen guest's memory to Dom0 through xenstore and "
		     "follows Dom0's swap and reclaim directives within local bounds"};
	app.add_option("-c,--config", opt.config_path, "Main config file; drop-ins in <file>.d/")
		->capture_default_str();
	app.add_option("--proc-root", opt.proc_root, "Where procfs is (tests)")->capture_default_str();
	app.add_option("--sys-root", opt.sys_root, "Where sysfs is (tests)")->capture_default_str();
	app.add_flag("--no-dbus", opt.no_dbus, "Do not connect to D-Bus");
	app.add_option("--bus-address", opt.bus_address,
		       "D-Bus address to use instead of the system bus (tests)");
	app.add_option("--log", opt.log_target, "Where logs go")
		->check(CLI::IsMember({"auto", "journal", "stderr"}))
		->capture_default_str();
	app.add_flag("-d,--debug", opt.debug, "Log every publish");
	app.add_option("--sample-ms", opt.sample_ms, "Kernel sampling period in ms")
		->check(CLI::Range(100u, 60000u))
		->capture_default_str();
	app.add_flag("--check-config", opt.check_config, "Validate the config and exit");
	app.add_option("--state-dir", opt.state_dir, "Where what must outlive a restart is kept")
		->capture_default_str();
	CLI11_PARSE(app, argc, argv);

	io::set_log_target(opt.log_target == "journal"  ? io::LogTarget::journal
			   : opt.log_target == "stderr" ? io::LogTarget::stderr_only
							: io::LogTarget::automatic);
	io::set_log_debug(opt.debug);

	auto config = daemon::load_config(opt.config_path);
	if (!config)
		return fail("config: " + config.error().message);
	if (opt.check_config) {
		std::printf("%s: ok\n", opt.config_path.c_str());
		return 0;
	}

	// Preflight: the kernel files the report needs, and xenstore.
	io::Procfs kernel{opt.proc_root, opt.sys_root};
	auto meminfo = kernel.read_proc("meminfo");
	if (!meminfo)
		return fail("preflight: " + meminfo.error().message);
	if (auto parsed = parse_meminfo(*meminfo); !parsed)
		return fail("preflight: " + opt.proc_root + "/meminfo: " + parsed.error().message);
	auto xenstore = io::open_xenstore();
	if (!xenstore)
		return fail("preflight: cannot reach xenstore: " + xenstore.error().message +
			    " (not a Xen guest, or xenfs/xen-evtchn not loaded? /dev/xen/xenbus "
			    "must exist; tests set XENSTORED_PATH)");

	io::KernelSwap swap;
	daemon::Agent agent{*config, **xenstore, kernel, swap};
	io::InitProcessLimits init_limits;
	daemon::InitLimitsFollower init_follower{init_limits, opt.state_dir + "/init-limits"};
	agent.follow_init_limits(&init_follower);
	if (auto started = agent.start(); !started)
		return fail("preflight: xenstore: " + started.error().message);

	auto loop = daemon::EventLoop::create(agent, **xenstore, opt.sample_ms);
	if (!loop)
		return fail("event loop: " + loop.error().message);
	(*loop)->on_reload = [&agent, &opt] {
		auto reloaded = daemon::load_config(opt.config_path);
		if (!reloaded) {
			io::log_message(LOG_ERR, "SIGHUP: config not reloaded: " +
							 reloaded.error().message);
			return;
		}
		agent.replace_config(*reloaded);
		io::log_message(LOG_NOTICE, "SIGHUP: config reloaded from " + opt.config_path);
	};

	// After the loop blocked its signals; the server's thread blocks every signal anyway.
	std::unique_ptr<daemon::GuestMetricsExporter> exporter;
	if (const auto &listen = agent.config().metrics_listen) {
		auto server = io::MetricsServer::start(*listen);
		if (server) {
			exporter = std::make_unique<daemon::GuestMetricsExporter>(
				agent, kernel, std::move(*server));
			(*loop)->after_tick = [&exporter] { exporter->refresh(); };
			io::log_message(LOG_INFO, "metrics: serving /metrics on " + listen->text());
		} else {
			// The report and directives do not need it; run on without it.
			io::log_message(LOG_ERR, "metrics: " + server.error().message +
							 "; running without /metrics");
		}
	}

	std::unique_ptr<daemon::DBusService> bus;
	if (!opt.no_dbus) {
		auto connected = daemon::DBusService::connect(agent, (*loop)->event(), opt.bus_address);
		if (connected) {
			bus = std::move(*connected);
			bus->on_refresh = [&loop] { (*loop)->tick_now(); };
			agent.on_answered = [&bus](const Ack &ack) { bus->announce_answer(ack); };
			agent.on_published = [&bus] { bus->announce_report(); };
		} else {
			// The report and directives do not need D-Bus; run on without it.
			io::log_message(LOG_WARNING, "D-Bus: " + connected.error().message +
							     "; running without D-Bus");
		}
	}

	io::log_message(LOG_INFO, "started");
	const int status = (*loop)->run();
	if (agent.config().init_limits_restore_on_stop)
		init_follower.restore(kernel);
	return status;
}
