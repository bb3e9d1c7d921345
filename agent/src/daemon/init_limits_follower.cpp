#include "daemon/init_limits_follower.hpp"

#include <sys/resource.h>

#include <fstream>
#include <system_error>

#include "core/number.hpp"
#include "daemon/sys_number.hpp"
#include "io/journal.hpp"

namespace memtune::daemon {
namespace {

constexpr const char *threads_dir = "kernel/xen_memtune/tunables/threads_max/";
constexpr const char *state_path = "kernel/xen_memtune/state";

const char *name_of(int resource)
{
	return resource == RLIMIT_NPROC ? "RLIMIT_NPROC" : "RLIMIT_SIGPENDING";
}

} // namespace

InitLimitsFollower::InitLimitsFollower(io::ProcessLimits &limits,
				       std::filesystem::path state_file)
	: limits_(limits), state_file_(std::move(state_file))
{
	if (auto text = io::read_text_file(state_file_); text) {
		if (auto parsed = parse_init_limits_written(*text); parsed)
			written_ = *parsed;
		else
			io::log_message(LOG_WARNING, state_file_.string() + ": " +
							     parsed.error().message +
							     "; init's limits count as the administrator's");
	}
}

std::optional<InitLimitsFollower::ModuleThreads>
InitLimitsFollower::read_module(const io::Procfs &kernel, bool settled_only)
{
	if (settled_only) {
		auto state = kernel.read_sys(state_path);
		if (!state || state->rfind("idle", 0) != 0)
			return std::nullopt;
	}
	auto computed = read_sys_number(kernel, std::string(threads_dir) + "computed");
	auto boot = read_sys_number(kernel, std::string(threads_dir) + "boot_value");
	if (!computed || !boot)
		return std::nullopt;
	return ModuleThreads{*computed, *boot};
}

void InitLimitsFollower::note(const std::string &what)
{
	if (what == last_note_)
		return;
	last_note_ = what;
	if (!what.empty())
		io::log_message(LOG_WARNING, what);
}

// Written whole to a new file, then renamed over the old one: a crash leaves one or the other.
void InitLimitsFollower::save()
{
	const std::filesystem::path tmp = state_file_.string() + ".new";
	std::error_code ec;
	std::filesystem::create_directories(state_file_.parent_path(), ec);
	{
		std::ofstream out(tmp, std::ios::trunc);
		out << encode_init_limits_written(written_);
		if (!out.flush())
			ec = std::make_error_code(std::errc::io_error);
	}
	if (!ec)
		std::filesystem::rename(tmp, state_file_, ec);
	if (ec)
		note("cannot keep init's limits in " + state_file_.string() + ": " + ec.message() +
		     " (after a restart they count as the administrator's)");
}

void InitLimitsFollower::follow(int resource, std::optional<ProcessLimit> &written,
				const ProcessLimit &boot, const ProcessLimit &wanted)
{
	auto live = limits_.get(resource);
	if (!live) {
		note("init's limits: " + live.error().message);
		return;
	}
	auto write = follow_limit(*live, boot, written, wanted);
	if (!write)
		return;
	if (auto set = limits_.set(resource, *write); !set) {
		note("init's limits: " + set.error().message);
		return;
	}
	io::log_message(LOG_INFO, std::string("init's ") + name_of(resource) + " " +
					  std::to_string(live->soft) + " -> " +
					  std::to_string(write->soft));
	written = *write;
	save();
}

void InitLimitsFollower::tick(const io::Procfs &kernel)
{
	auto module = read_module(kernel, true);
	if (!module || module->computed == 0 || acted_on_ == module->computed)
		return;
	acted_on_ = module->computed;
	const ProcessLimit boot = init_limit_for(module->boot);
	const ProcessLimit wanted = init_limit_for(module->computed);
	follow(RLIMIT_NPROC, written_.nproc, boot, wanted);
	follow(RLIMIT_SIGPENDING, written_.sigpending, boot, wanted);
}

void InitLimitsFollower::restore(const io::Procfs &kernel)
{
	auto module = read_module(kernel, false);
	if (!module)
		return;
	const ProcessLimit boot = init_limit_for(module->boot);
	for (auto [resource, written] : {std::pair{RLIMIT_NPROC, &written_.nproc},
					 std::pair{RLIMIT_SIGPENDING, &written_.sigpending}}) {
		auto live = limits_.get(resource);
		if (!live)
			continue;
		if (auto back = restore_limit(*live, boot, *written); back) {
			if (limits_.set(resource, *back))
				*written = std::nullopt;
		}
	}
	save();
}

} // namespace memtune::daemon
