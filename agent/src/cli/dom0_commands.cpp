// memtunectl in Dom0: domains, directive, resize DOMAIN, shrink DOMAIN SIZE.
// Everything under a guest's data/ is written by the guest and is untrusted here: numbers are
// parsed strictly, text is made printable before it reaches the terminal.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/program.hpp"
#include "cli/table.hpp"
#include "cli/xenstore_view.hpp"
#include "core/config.hpp"
#include "core/number.hpp"

namespace memtune::cli {
namespace {

using Clock = std::chrono::steady_clock;
using Values = std::map<std::string, std::string>;

std::uint64_t now_epoch_s()
{
	return static_cast<std::uint64_t>(std::time(nullptr));
}

std::string describe(const Domain &domain)
{
	if (domain.name.empty())
		return fmt::format("domain {}", domain.domid);
	return fmt::format("{} (domid {})", domain.name, domain.domid);
}

int xenstore_failure(const io::Error &error)
{
	fmt::print(stderr, "memtunectl: {}\n", error.message);
	if (error.code == EACCES)
		fmt::print(stderr, "memtunectl: permission denied: run this in Dom0 as root\n");
	else if (error.code == ENOENT || error.code == ECONNREFUSED)
		fmt::print(stderr, "memtunectl: is xenstored running (or XENSTORED_PATH right)?\n");
	return exit_failure;
}

io::Result<std::unique_ptr<io::XenStore>> connect()
{
	auto xs = io::open_xenstore();
	if (!xs)
		return io::Error{xs.error().code,
				 "cannot reach xenstore: " + xs.error().message};
	return xs;
}

// Resolves DOMAIN and reports why not, as the exit status to use.
std::optional<Domain> find_domain(io::XenStore &xs, const std::string &text, int &status)
{
	auto domain = resolve_domain(xs, text);
	if (domain)
		return *domain;
	if (domain.error().code == ENOENT) {
		fmt::print(stderr, "memtunectl: {}\n", domain.error().message);
		status = exit_no_domain;
	} else {
		status = xenstore_failure(domain.error());
	}
	return std::nullopt;
}

Values read_report(io::XenStore &xs, const Domain &domain, const char *sub = "")
{
	auto values = read_values(xs, domain.home + "/data/memtune" + sub);
	return values ? *values : Values{};
}

// ---- directive ------------------------------------------------------------------------------

struct Answer {
	int status = exit_failure;
	std::uint64_t seq = 0;
	std::string result; // applied, partial, refused
	std::string reason;
};

// Writes the whole directive in one transaction with a new seq, then waits for
// data/memtune/ack/seq to answer it.
Answer send_directive(io::XenStore &xs, const Domain &domain, const DirectiveRequest &request,
		      std::chrono::milliseconds timeout)
{
	Answer answer;
	const std::string ack_dir = domain.home + "/data/memtune/ack";
	// Watch before writing, so an agent faster than us cannot be missed.
	ScopedWatch ack_watch(xs, ack_dir + "/seq");
	if (!ack_watch.token()) {
		answer.status = xenstore_failure(ack_watch.token().error());
		return answer;
	}

	const std::uint64_t expires = now_epoch_s() + request.lifetime_s;
	auto written = io::with_transaction(xs, [&](io::TransactionId tx) -> io::Result<std::uint64_t> {
		// The next seq follows both our last directive and the guest's last answer, so a
		// guest that answered a directive we no longer have never sees a replay.
		auto seq = next_directive_seq(xs, domain, tx);
		if (!seq)
			return seq;
		DirectiveNodes nodes{*seq, expires, request.swap_mode, request.reclaim_kb,
				     request.swappiness};
		if (auto done = write_directive_nodes(xs, domain, nodes, tx); !done)
			return done.error();
		return *seq;
	});
	if (!written) {
		answer.status = xenstore_failure(written.error());
		return answer;
	}
	answer.seq = *written;

	auto answered = wait_until(xs, Clock::now() + timeout, [&] {
		auto seq = xs.read(ack_dir + "/seq");
		return seq && parse_u64(*seq, "seq").ok() && *parse_u64(*seq, "seq") == answer.seq;
	});
	if (!answered) {
		answer.status = xenstore_failure(answered.error());
		return answer;
	}
	if (!*answered) {
		auto report_seq = xs.read(domain.home + "/data/memtune/seq");
		fmt::print(stderr,
			   "memtunectl: no answer from {} to directive {} within {} s; {}\n",
			   describe(domain), answer.seq, timeout.count() / 1000,
			   report_seq ? "its agent publishes a report, so it may be busy: "
					"check `journalctl -u xen-memtuned` in the guest"
				      : "it publishes no report: is xen-memtuned running in the guest?");
		answer.status = exit_timeout;
		return answer;
	}
	auto ack = read_report(xs, domain, "/ack");
	answer.result = printable(ack["result"], 16);
	answer.reason = printable(ack["reason"], 400);
	answer.status = answer.result == "refused" ? exit_refused : exit_ok;
	return answer;
}

void print_answer(const Domain &domain, const Answer &answer)
{
	fmt::print("{}: directive {} {}{}{}\n", describe(domain), answer.seq, answer.result,
		   answer.reason.empty() ? "" : ": ", answer.reason);
}

// The guest's answer as `directive --json` prints it (schema in docs/memtunectl.8).
nlohmann::json answer_json(const Answer &answer)
{
	return {{"seq", answer.seq}, {"result", answer.result}, {"reason", answer.reason}};
}

nlohmann::json domain_json(const Domain &domain)
{
	return {{"name", domain.name}, {"domid", domain.domid}};
}

std::int64_t elapsed_ms(Clock::duration elapsed)
{
	return std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
}

// ---- domains --------------------------------------------------------------------------------

// CPU seconds per domid from `xl list` (its Time(s) column).
io::Result<std::map<unsigned, double>> cpu_seconds(const std::string &xl)
{
	auto listed = run_program({xl, "list"});
	if (!listed)
		return listed.error();
	if (listed->exit_status != 0)
		return io::Error{EIO, fmt::format("{} list exited with {}: {}", xl,
						  listed->exit_status, printable(listed->output))};
	std::map<unsigned, double> seconds;
	std::size_t start = 0;
	const std::string &out = listed->output;
	while (start < out.size()) {
		std::size_t end = out.find('\n', start);
		if (end == std::string::npos)
			end = out.size();
		std::vector<std::string> fields;
		std::size_t pos = start;
		while (pos < end) {
			while (pos < end && (out[pos] == ' ' || out[pos] == '\t'))
				pos++;
			std::size_t field_end = pos;
			while (field_end < end && out[field_end] != ' ' && out[field_end] != '\t')
				field_end++;
			if (field_end > pos)
				fields.emplace_back(out, pos, field_end - pos);
			pos = field_end;
		}
		start = end + 1;
		// Name ID Mem VCPUs State Time(s)
		if (fields.size() < 6)
			continue;
		auto domid = parse_u64(fields[1], "domid");
		char *rest = nullptr;
		double time_s = std::strtod(fields.back().c_str(), &rest);
		if (!domid || rest == fields.back().c_str() || *rest != '\0' || !std::isfinite(time_s))
			continue;
		seconds[static_cast<unsigned>(*domid)] = time_s;
	}
	return seconds;
}

std::string size_cell(const std::optional<std::uint64_t> &kb)
{
	return kb ? format_kb(*kb) : "-";
}

std::string text_cell(const Values &values, const std::string &key)
{
	auto it = values.find(key);
	return it == values.end() || it->second.empty() ? "-" : printable(it->second, 12);
}

nlohmann::json json_number(const std::optional<std::uint64_t> &value)
{
	return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// PSI is "12.34": kept as the text the guest wrote when it parses, else null.
nlohmann::json json_percent(const Values &values, const std::string &key)
{
	auto it = values.find(key);
	if (it == values.end())
		return nullptr;
	auto centi = parse_centi_percent(it->second, key);
	if (!centi)
		return nullptr;
	return static_cast<double>(*centi) / 100.0;
}

std::string psi_cell(const Values &values, const std::string &key)
{
	auto it = values.find(key);
	if (it == values.end())
		return "-";
	auto centi = parse_centi_percent(it->second, key);
	return centi ? fmt::format("{}.{:02}", *centi / 100, *centi % 100) : "?";
}

} // namespace

int run_domains(const Dom0Options &options, std::chrono::milliseconds cpu_interval)
{
	auto xs = connect();
	if (!xs)
		return xenstore_failure(xs.error());
	auto domains = list_domains(**xs);
	if (!domains)
		return xenstore_failure(domains.error());

	// CPU use over the sampling interval: two `xl list` samples, like xentop's CPU(%).
	std::map<unsigned, double> cpu_percent;
	std::string cpu_problem;
	if (cpu_interval.count() > 0) {
		auto before = cpu_seconds(options.xl);
		auto t0 = Clock::now();
		if (before) {
			std::this_thread::sleep_for(cpu_interval);
			auto after = cpu_seconds(options.xl);
			double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
			if (after) {
				for (const auto &[domid, seconds] : *after) {
					auto was = before->find(domid);
					if (was != before->end() && seconds >= was->second)
						cpu_percent[domid] = (seconds - was->second) / elapsed * 100.0;
				}
			} else {
				cpu_problem = after.error().message;
			}
		} else {
			cpu_problem = before.error().message;
		}
		if (!cpu_problem.empty())
			fmt::print(stderr, "memtunectl: no CPU column: {} (use --xl PATH, or --interval 0)\n",
				   cpu_problem);
	}

	nlohmann::json list = nlohmann::json::array();
	std::vector<std::vector<std::string>> rows;
	for (const auto &domain : *domains) {
		auto report = read_values(**xs, domain.home + "/data/memtune");
		if (!report)
			continue; // no agent in this domain (or no report yet)
		auto target = xs->get()->read(domain.home + "/memory/target");
		std::optional<std::uint64_t> target_kb;
		if (target) {
			if (auto kb = parse_u64(*target, "memory/target"))
				target_kb = *kb;
		}
		std::optional<double> cpu;
		if (auto it = cpu_percent.find(domain.domid); it != cpu_percent.end())
			cpu = it->second;
		const Values &r = *report;

		if (options.json) {
			list.push_back({
				{"name", domain.name},
				{"domid", domain.domid},
				{"target_kb", json_number(target_kb)},
				{"version", json_number(strict_u64(r, "version"))},
				{"mem_total_kb", json_number(strict_u64(r, "mem-total-kb"))},
				{"mem_available_kb", json_number(strict_u64(r, "mem-available-kb"))},
				{"reclaimable_kb", json_number(strict_u64(r, "reclaimable-kb"))},
				{"swap_total_kb", json_number(strict_u64(r, "swap-total-kb"))},
				{"swap_used_kb", json_number(strict_u64(r, "swap-used-kb"))},
				{"swap_in_pps", json_number(strict_u64(r, "swap-in-pps"))},
				{"swap_out_pps", json_number(strict_u64(r, "swap-out-pps"))},
				{"refault_pps", json_number(strict_u64(r, "refault-pps"))},
				{"psi_some_avg10", json_percent(r, "psi-some-avg10")},
				{"psi_some_avg60", json_percent(r, "psi-some-avg60")},
				{"psi_full_avg10", json_percent(r, "psi-full-avg10")},
				{"psi_full_avg60", json_percent(r, "psi-full-avg60")},
				{"balloon_current_kb", json_number(strict_u64(r, "balloon-current-kb"))},
				{"balloon_target_kb", json_number(strict_u64(r, "balloon-target-kb"))},
				{"target_reached", r.count("target-reached") && r.at("target-reached") == "1"},
				{"floor_kb", json_number(strict_u64(r, "floor-kb"))},
				{"floor_reason", printable(r.count("floor-reason") ? r.at("floor-reason") : "")},
				{"report_seq", json_number(strict_u64(r, "seq"))},
				{"cpu_percent", cpu ? nlohmann::json(*cpu) : nlohmann::json(nullptr)},
			});
			continue;
		}
		rows.push_back({
			domain.name.empty() ? "-" : domain.name,
			std::to_string(domain.domid),
			size_cell(target_kb),
			size_cell(strict_u64(r, "balloon-current-kb")),
			size_cell(strict_u64(r, "mem-available-kb")),
			size_cell(strict_u64(r, "swap-used-kb")),
			psi_cell(r, "psi-some-avg10") + "/" + psi_cell(r, "psi-full-avg10"),
			size_cell(strict_u64(r, "floor-kb")),
			cpu ? fmt::format("{:.1f}", *cpu) : "-",
			text_cell(r, "seq"),
		});
	}

	if (options.json) {
		fmt::print("{}\n", list.dump(2));
		return exit_ok;
	}
	if (rows.empty()) {
		fmt::print("no domain publishes a memtune report (data/memtune/): is xen-memtuned "
			   "running in the guests?\n");
		return exit_ok;
	}
	// Name left-aligned, numbers right-aligned.
	print_table({{"NAME"},
		     {"ID", Align::right},
		     {"TARGET", Align::right},
		     {"BALLOON", Align::right},
		     {"AVAIL", Align::right},
		     {"SWAP", Align::right},
		     {"PSI10 s/f", Align::right},
		     {"FLOOR", Align::right},
		     {"CPU%", Align::right},
		     {"UPDATE", Align::right}},
		    rows);
	return exit_ok;
}

int run_directive(const Dom0Options &options, const std::string &domain_text,
		  const DirectiveRequest &request)
{
	if (request.swap_mode) {
		if (auto mode = parse_swap_mode(*request.swap_mode); !mode) {
			fmt::print(stderr, "memtunectl: {}\n", mode.error().message);
			return exit_usage;
		}
	}
	if (!request.swap_mode && !request.reclaim_kb && !request.swappiness) {
		fmt::print(stderr, "memtunectl: a directive needs at least one of --swap-mode, "
				   "--reclaim, --swappiness\n");
		return exit_usage;
	}
	auto xs = connect();
	if (!xs)
		return xenstore_failure(xs.error());
	int status = exit_failure;
	auto domain = find_domain(**xs, domain_text, status);
	if (!domain)
		return status;
	auto answer = send_directive(**xs, *domain, request, options.timeout);
	if (answer.result.empty())
		return answer.status;
	if (options.json) {
		nlohmann::json out = domain_json(*domain);
		out.update(answer_json(answer));
		fmt::print("{}\n", out.dump(2));
	} else {
		print_answer(*domain, answer);
	}
	return answer.status;
}

int run_resize_domain(const Dom0Options &options, const std::string &domain_text)
{
	auto xs = connect();
	if (!xs)
		return xenstore_failure(xs.error());
	int status = exit_failure;
	auto domain = find_domain(**xs, domain_text, status);
	if (!domain)
		return status;

	// A token the module has never seen: time, pid and a sub-second part.
	auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
	std::string token = fmt::format(
		"{}-{}-{}", std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count(),
		getpid(), std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count() % 1000000);
	const std::string echo_path = domain->home + "/data/memtune/kmod/token";

	ScopedWatch echo_watch(**xs, echo_path);
	if (!echo_watch.token())
		return xenstore_failure(echo_watch.token().error());
	auto written = io::with_transaction(**xs, [&](io::TransactionId tx) -> io::Result<bool> {
		if (auto made = ensure_dom0_node(**xs, *domain, "memtune", tx); !made)
			return made.error();
		if (auto done = xs->get()->write(domain->home + "/memtune/resize", token, tx); !done)
			return done.error();
		return true;
	});
	if (!written)
		return xenstore_failure(written.error());
	auto start = Clock::now();
	auto echoed = wait_until(**xs, start + options.timeout, [&] {
		auto value = xs->get()->read(echo_path);
		return value && *value == token;
	});
	if (!echoed)
		return xenstore_failure(echoed.error());
	if (!*echoed) {
		fmt::print(stderr,
			   "memtunectl: the xen_memtune module in {} did not echo resize token {} within "
			   "{} s: is the module loaded in the guest (lsmod | grep xen_memtune)?\n",
			   describe(*domain), token, options.timeout.count() / 1000);
		return exit_timeout;
	}
	auto elapsed = Clock::now() - start;
	auto kmod = read_report(**xs, *domain, "/kmod");
	fmt::print("{}: module recomputed in {} (applied-kb {}, state {})\n", describe(*domain),
		   format_elapsed(elapsed), text_cell(kmod, "applied-kb"), text_cell(kmod, "state"));
	return exit_ok;
}

int run_shrink(const Dom0Options &options, const std::string &domain_text, std::uint64_t size_kb,
	       std::optional<std::uint64_t> reclaim_kb, bool force)
{
	auto xs_opened = connect();
	if (!xs_opened)
		return xenstore_failure(xs_opened.error());
	io::XenStore &xs = **xs_opened;
	int status = exit_failure;
	auto found = find_domain(xs, domain_text, status);
	if (!found)
		return status;
	const Domain &domain = *found;
	const auto total_start = Clock::now();

	auto target_text = xs.read(domain.home + "/memory/target");
	if (!target_text)
		return xenstore_failure(target_text.error());
	auto target_kb = parse_u64(*target_text, "memory/target");
	if (!target_kb) {
		fmt::print(stderr, "memtunectl: {}: memory/target is not a number: {}\n",
			   describe(domain), quote_for_message(*target_text));
		return exit_failure;
	}
	if (size_kb >= *target_kb) {
		fmt::print(stderr, "memtunectl: {} is not below the target of {} ({}); to grow, use "
				   "`xl mem-set {} {}k`\n",
			   format_kb(size_kb), describe(domain), format_kb(*target_kb), domain.domid,
			   size_kb);
		return exit_usage;
	}
	// --json: one object once the shrink ends, however it ends (schema in docs/memtunectl.8);
	// without it, one line per step as it happens. Messages on stderr either way.
	nlohmann::json out = domain_json(domain);
	out.update({{"from_kb", *target_kb}, {"to_kb", size_kb}, {"steps", nlohmann::json::array()}});
	auto finish = [&](int status, const char *result) {
		if (options.json) {
			out["result"] = result;
			out["elapsed_ms"] = elapsed_ms(Clock::now() - total_start);
			fmt::print("{}\n", out.dump(2));
		}
		return status;
	};
	auto step_done = [&](nlohmann::json step, Clock::time_point started) {
		step["elapsed_ms"] = elapsed_ms(Clock::now() - started);
		out["steps"].push_back(std::move(step));
	};
	auto say = [&](const std::string &line) {
		if (!options.json)
			fmt::print("{}\n", line);
	};
	say(fmt::format("{}: shrink {} -> {}", describe(domain), format_kb(*target_kb),
			format_kb(size_kb)));

	// Step 1: ask the guest to give back page cache, so the balloon finds free pages.
	auto report = read_report(xs, domain);
	auto report_seq_before = strict_u64(report, "seq");
	const std::uint64_t ask_kb = reclaim_kb.value_or(*target_kb - size_kb);
	if (ask_kb > 0) {
		auto step = Clock::now();
		DirectiveRequest request;
		request.reclaim_kb = ask_kb;
		auto answer = send_directive(xs, domain, request, options.timeout);
		if (answer.result.empty())
			return finish(answer.status, answer.status == exit_timeout ? "timeout" : "failed");
		say(fmt::format("  reclaim {}: directive {} {} in {}{}{}", format_kb(ask_kb),
				answer.seq, answer.result, format_elapsed(Clock::now() - step),
				answer.reason.empty() ? "" : ": ", answer.reason));
		nlohmann::json reclaim = {{"step", "reclaim"}, {"reclaim_kb", ask_kb}};
		reclaim.update(answer_json(answer));
		step_done(std::move(reclaim), step);
		if (answer.result == "refused") {
			fmt::print(stderr, "memtunectl: {} refused to reclaim: {}; nothing was changed "
					   "(use --reclaim SIZE to ask for less, or --reclaim 0)\n",
				   describe(domain), answer.reason);
			return finish(exit_refused, "refused");
		}
		// The agent publishes a fresh report after answering; its floor is the one to check.
		(void)wait_until(xs, Clock::now() + std::chrono::seconds(5), [&] {
			report = read_report(xs, domain);
			return strict_u64(report, "seq") != report_seq_before;
		});
	}

	// Step 2: never below the floor the guest publishes.
	auto floor_kb = strict_u64(report, "floor-kb");
	std::string floor_reason = printable(report.count("floor-reason") ? report["floor-reason"] : "");
	step_done({{"step", "floor"}, {"floor_kb", json_number(floor_kb)},
		   {"floor_reason", floor_reason}},
		  Clock::now());
	if (!floor_kb && !force) {
		fmt::print(stderr, "memtunectl: {} publishes no floor (data/memtune/floor-kb): is "
				   "xen-memtuned running there? Use --force to shrink without it\n",
			   describe(domain));
		return finish(exit_refused, "refused");
	}
	if (floor_kb && size_kb < *floor_kb) {
		fmt::print(stderr, "memtunectl: refused: {} is below the floor of {}, {}{}{}{}; the "
				   "smallest safe target now is {}k\n",
			   format_kb(size_kb), describe(domain), format_kb(*floor_kb),
			   floor_reason.empty() ? "" : " (", floor_reason, floor_reason.empty() ? "" : ")",
			   *floor_kb);
		return finish(exit_refused, "refused");
	}
	if (floor_kb)
		say(fmt::format("  floor {}: {} is above it", format_kb(*floor_kb), format_kb(size_kb)));

	// Step 3: the toolstack sets the target (libxl writes memory/target and the maximum).
	auto step = Clock::now();
	auto report_seq_at_set = strict_u64(read_report(xs, domain), "seq");
	auto answered_before = strict_u64(read_report(xs, domain, "/kmod"), "target-kb");
	ScopedWatch report_watch(xs, domain.home + "/data/memtune");
	auto mem_set = run_program({options.xl, "mem-set", std::to_string(domain.domid),
				    fmt::format("{}k", size_kb)});
	if (!mem_set) {
		fmt::print(stderr, "memtunectl: cannot run {}: {} (use --xl PATH)\n", options.xl,
			   mem_set.error().message);
		return finish(exit_toolstack, "toolstack-failed");
	}
	if (mem_set->exit_status != 0) {
		fmt::print(stderr, "memtunectl: {} mem-set {} {}k failed with status {}: {}\n",
			   options.xl, domain.domid, size_kb, mem_set->exit_status,
			   printable(mem_set->output, 400));
		return finish(exit_toolstack, "toolstack-failed");
	}
	say(fmt::format("  xl mem-set: {}", format_elapsed(Clock::now() - step)));
	step_done({{"step", "mem-set"}}, step);

	// Step 4: the balloon reaches the target (agent report) and the module applies its values:
	// kmod/target-kb, the memory/target its last settled pass followed, equals the target
	// libxl published, and the module is idle.  The module settles on the balloon before
	// applying, so its answer also means the balloon is done.  No clock is compared: a PV
	// guest's clock can run seconds behind Dom0's.  If the module had already answered this
	// very target before the mem-set (an earlier shrink to the same size), it must also be
	// seen busy (settling/applying) since.  A module that answers "stalled" has given up
	// waiting for this target: the balloon stopped short, and its values are for the size
	// in applied-kb.
	std::optional<std::uint64_t> published_after_set;
	bool module_seen_busy = false;
	auto module_done = [&] {
		if (!published_after_set) {
			if (auto text = xs.read(domain.home + "/memory/target")) {
				if (auto kb = parse_u64(*text, "memory/target"))
					published_after_set = *kb;
			}
			if (!published_after_set)
				return false;
		}
		auto kmod = read_report(xs, domain, "/kmod");
		auto answered = strict_u64(kmod, "target-kb");
		if (kmod["state"] == "settling" || kmod["state"] == "applying")
			module_seen_busy = true;
		return answered == published_after_set &&
		       (kmod["state"] == "idle" || kmod["state"] == "stalled") &&
		       (answered_before != published_after_set || module_seen_busy);
	};
	auto stalled = [&] {
		auto kmod = read_report(xs, domain, "/kmod");
		if (kmod["state"] != "stalled" ||
		    strict_u64(kmod, "target-kb") != published_after_set)
			return false;
		auto now = read_report(xs, domain);
		fmt::print(stderr, "memtunectl: the balloon of {} stalled at {} short of {} (Xen "
				   "refuses pages or the guest cannot give them); the module applied "
				   "its values for {} and follows the balloon if it moves; the target "
				   "stays set\n",
			   describe(domain), size_cell(strict_u64(now, "balloon-current-kb")),
			   format_kb(size_kb), size_cell(strict_u64(kmod, "applied-kb")));
		return true;
	};
	auto balloon_done = [&] {
		auto now = read_report(xs, domain);
		auto balloon_target = strict_u64(now, "balloon-target-kb");
		std::optional<std::uint64_t> published_target;
		if (auto text = xs.read(domain.home + "/memory/target")) {
			if (auto kb = parse_u64(*text, "memory/target"))
				published_target = *kb;
		}
		bool fresh = strict_u64(now, "seq") != report_seq_at_set;
		bool on_target = balloon_target && published_target &&
				 (*balloon_target + 4096 >= *published_target &&
				  *balloon_target <= *published_target + 4096);
		return (fresh && on_target && now["target-reached"] == "1") || module_done();
	};
	step = Clock::now();
	auto deadline = step + options.timeout;
	auto ballooned = wait_until(xs, deadline, balloon_done);
	if (!ballooned)
		return finish(xenstore_failure(ballooned.error()), "failed");
	if (!*ballooned) {
		auto now = read_report(xs, domain);
		fmt::print(stderr, "memtunectl: the balloon of {} did not reach {} within {} s "
				   "(balloon now {}); the target stays set: check `xl list` and the guest\n",
			   describe(domain), format_kb(size_kb), options.timeout.count() / 1000,
			   size_cell(strict_u64(now, "balloon-current-kb")));
		return finish(exit_timeout, "timeout");
	}
	if (stalled())
		return finish(exit_timeout, "stalled");
	say(fmt::format("  balloon at target: {}", format_elapsed(Clock::now() - step)));
	step_done({{"step", "balloon"}}, step);
	step = Clock::now();
	auto applied = wait_until(xs, deadline, module_done);
	if (!applied)
		return finish(xenstore_failure(applied.error()), "failed");
	if (!*applied) {
		fmt::print(stderr, "memtunectl: the xen_memtune module in {} did not report an apply "
				   "after the mem-set within {} s: is it loaded (lsmod | grep xen_memtune)?\n",
			   describe(domain), options.timeout.count() / 1000);
		return finish(exit_timeout, "timeout");
	}
	auto kmod = read_report(xs, domain, "/kmod");
	say(fmt::format("  module applied: {} (applied-kb {})", format_elapsed(Clock::now() - step),
			text_cell(kmod, "applied-kb")));
	step_done({{"step", "module"}, {"applied_kb", json_number(strict_u64(kmod, "applied-kb"))}},
		  step);
	say(fmt::format("{}: now {} ({} in all)", describe(domain), format_kb(size_kb),
			format_elapsed(Clock::now() - total_start)));
	return finish(exit_ok, "done");
}

} // namespace memtune::cli
