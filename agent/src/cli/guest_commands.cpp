// memtunectl in a guest: status (the agent's report and the current directive from xenstore),
// tunables and resize (the module's sysfs), reclaim and swap-mode (the agent's D-Bus methods).
#include <systemd/sd-bus.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/table.hpp"
#include "cli/xenstore_view.hpp"
#include "core/config.hpp"
#include "core/number.hpp"
#include "io/procfs.hpp"

namespace memtune::cli {
namespace {

using Values = std::map<std::string, std::string>;

// The agent's bus name, object and interface (agent-daemon's introspection XML).
constexpr const char *bus_name = "org.xenmemtune.MemTune1";
constexpr const char *bus_path = "/org/xenmemtune/MemTune1";
constexpr const char *bus_interface = "org.xenmemtune.MemTune1";

constexpr const char *module_dir = "kernel/xen_memtune"; // under the sysfs root

bool is_percent_key(const std::string &key)
{
	return key.rfind("psi-", 0) == 0;
}

// A report value as JSON: numbers as numbers, PSI as a decimal, the rest as printable text.
nlohmann::json typed(const std::string &key, const std::string &value)
{
	if (is_percent_key(key)) {
		if (auto centi = parse_centi_percent(value, key))
			return static_cast<double>(*centi) / 100.0;
		return nullptr;
	}
	if (auto number = parse_u64(value, key))
		return *number;
	return printable(value, 400);
}

// A tunable's value file ("4096 87380 6291456", one number or several) as a list of numbers;
// null when the file could not be read or holds anything else.
nlohmann::json value_list_json(const std::string &text)
{
	nlohmann::json list = nlohmann::json::array();
	std::size_t start = 0;
	while (start <= text.size()) {
		std::size_t end = text.find_first_of(" \t", start);
		if (end == std::string::npos)
			end = text.size();
		if (end > start) {
			auto number = parse_u64(std::string_view(text).substr(start, end - start), "value");
			if (!number)
				return nullptr;
			list.push_back(*number);
		}
		start = end + 1;
	}
	return list.empty() ? nlohmann::json(nullptr) : list;
}

// A report value for people: sizes in MiB, the rest as written.
std::string shown(const std::string &key, const std::string &value)
{
	bool size = key.size() > 3 && key.compare(key.size() - 3, 3, "-kb") == 0;
	if (size) {
		if (auto kb = parse_u64(value, key))
			return fmt::format("{} ({} KiB)", format_kb(*kb), *kb);
	}
	if (key == "expires" || key == "applied-at") {
		// Seconds since the epoch: say how far from now.
		if (auto at = parse_u64(value, key)) {
			auto now = static_cast<std::int64_t>(std::time(nullptr));
			auto delta = static_cast<std::int64_t>(*at) - now;
			return delta >= 0 ? fmt::format("{} (in {} s)", *at, delta)
					  : fmt::format("{} ({} s ago)", *at, -delta);
		}
	}
	if (key.size() > 4 && key.compare(key.size() - 4, 4, "-pps") == 0)
		return printable(value, 24) + " pages/s";
	if (is_percent_key(key))
		return printable(value, 24) + " %";
	return value.empty() ? "-" : printable(value, 400);
}

void print_section(const std::string &title, const Values &values)
{
	fmt::print("{}\n", title);
	if (values.empty()) {
		fmt::print("  (none)\n");
		return;
	}
	std::size_t width = 0;
	for (const auto &[key, value] : values)
		width = std::max(width, key.size());
	for (const auto &[key, value] : values)
		fmt::print("  {:<{}}  {}\n", key, width, shown(key, value));
}

Values only_leaves(io::XenStore &xs, const std::string &dir)
{
	auto values = read_values(xs, dir);
	if (!values)
		return {};
	Values leaves;
	for (auto &[key, value] : *values) {
		// Subdirectories (ack/, kmod/) are shown in their own section.
		if (value.empty() && (key == "ack" || key == "kmod"))
			continue;
		leaves.emplace(key, value);
	}
	return leaves;
}

struct BusUnref {
	void operator()(sd_bus *bus) const { sd_bus_flush_close_unref(bus); }
};
struct MessageUnref {
	void operator()(sd_bus_message *m) const { sd_bus_message_unref(m); }
};
struct ErrorFree {
	void operator()(sd_bus_error *e) const { sd_bus_error_free(e); }
};

// The reply's basic values, space separated (the agent answers with words a person reads).
std::string reply_text(sd_bus_message *reply)
{
	std::string text;
	char type;
	const char *contents;
	while (sd_bus_message_peek_type(reply, &type, &contents) > 0) {
		std::string item;
		if (type == SD_BUS_TYPE_STRING) {
			const char *s = nullptr;
			if (sd_bus_message_read_basic(reply, type, &s) < 0)
				break;
			item = s ? s : "";
		} else if (type == SD_BUS_TYPE_UINT64) {
			uint64_t v = 0;
			if (sd_bus_message_read_basic(reply, type, &v) < 0)
				break;
			item = std::to_string(v);
		} else if (type == SD_BUS_TYPE_UINT32) {
			uint32_t v = 0;
			if (sd_bus_message_read_basic(reply, type, &v) < 0)
				break;
			item = std::to_string(v);
		} else if (type == SD_BUS_TYPE_BOOLEAN) {
			int v = 0;
			if (sd_bus_message_read_basic(reply, type, &v) < 0)
				break;
			item = v ? "yes" : "no";
		} else if (sd_bus_message_skip(reply, nullptr) < 0) {
			break;
		}
		if (!item.empty())
			text += (text.empty() ? "" : ": ") + item;
	}
	return text;
}

template <class... Args>
int call_agent(const char *method, const char *signature, Args... args)
{
	sd_bus *raw_bus = nullptr;
	// DBUS_SYSTEM_BUS_ADDRESS, when set, points this at another bus (tests).
	int r = sd_bus_open_system(&raw_bus);
	std::unique_ptr<sd_bus, BusUnref> bus(raw_bus);
	if (r < 0) {
		fmt::print(stderr, "memtunectl: cannot connect to the system bus: {}\n", strerror(-r));
		return exit_failure;
	}
	sd_bus_error raw_error = SD_BUS_ERROR_NULL;
	std::unique_ptr<sd_bus_error, ErrorFree> error(&raw_error);
	sd_bus_message *raw_reply = nullptr;
	r = sd_bus_call_method(bus.get(), bus_name, bus_path, bus_interface, method, &raw_error,
			       &raw_reply, signature, args...);
	std::unique_ptr<sd_bus_message, MessageUnref> reply(raw_reply);
	if (r < 0) {
		const char *why = raw_error.message ? raw_error.message : strerror(-r);
		fmt::print(stderr, "memtunectl: {} failed: {}\n", method, why);
		if (sd_bus_error_has_name(&raw_error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
		    sd_bus_error_has_name(&raw_error, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
			fmt::print(stderr, "memtunectl: xen-memtuned is not running "
					   "(systemctl status xen-memtuned)\n");
		else if (sd_bus_error_has_name(&raw_error, SD_BUS_ERROR_ACCESS_DENIED))
			fmt::print(stderr, "memtunectl: only root may ask the agent to act\n");
		return exit_failure;
	}
	std::string text = reply_text(reply.get());
	fmt::print("{}\n", text.empty() ? "done" : text);
	return text.rfind("refused", 0) == 0 ? exit_refused : exit_ok;
}

} // namespace

int run_status(bool json)
{
	auto xs = io::open_xenstore();
	if (!xs) {
		fmt::print(stderr, "memtunectl: cannot reach xenstore: {} (is this a Xen guest with "
				   "/dev/xen/xenbus?)\n",
			   xs.error().message);
		return exit_failure;
	}
	io::XenStore &store = **xs;
	Values report = only_leaves(store, "data/memtune");
	Values ack = only_leaves(store, "data/memtune/ack");
	Values kmod = only_leaves(store, "data/memtune/kmod");
	Values directive = only_leaves(store, "memtune/directive");

	if (json) {
		auto section = [](const Values &values) {
			nlohmann::json out = nlohmann::json::object();
			for (const auto &[key, value] : values)
				out[key] = typed(key, value);
			return out;
		};
		nlohmann::json out = {{"report", section(report)},
				      {"directive", section(directive)},
				      {"ack", section(ack)},
				      {"kmod", section(kmod)}};
		fmt::print("{}\n", out.dump(2));
	} else {
		print_section("Report (data/memtune)", report);
		print_section("Directive from Dom0 (memtune/directive)", directive);
		print_section("Last answer (data/memtune/ack)", ack);
		print_section("Kernel module (data/memtune/kmod)", kmod);
	}
	if (report.empty()) {
		fmt::print(stderr, "memtunectl: no report in data/memtune: is xen-memtuned running "
				   "(systemctl status xen-memtuned)?\n");
		return exit_failure;
	}
	return exit_ok;
}

int run_tunables(const std::string &sysfs_root, bool json)
{
	namespace fs = std::filesystem;
	const fs::path dir = fs::path(sysfs_root) / module_dir / "tunables";
	std::error_code ec;
	if (!fs::is_directory(dir, ec)) {
		fmt::print(stderr, "memtunectl: {} does not exist: is the xen_memtune module loaded "
				   "(modprobe xen_memtune)?\n",
			   dir.string());
		return exit_failure;
	}
	std::vector<std::string> names;
	for (const auto &entry : fs::directory_iterator(dir, ec))
		if (entry.is_directory())
			names.push_back(entry.path().filename().string());
	std::sort(names.begin(), names.end());

	const char *const files[] = {"value", "boot_value", "computed", "owner"};
	nlohmann::json out = nlohmann::json::object();
	std::vector<std::vector<std::string>> rows;
	for (const auto &name : names) {
		std::vector<std::string> row = {name};
		for (const char *file : files) {
			auto text = io::read_text_file(dir / name / file);
			std::string value = text ? *text : "?";
			while (!value.empty() && (value.back() == '\n' || value.back() == ' '))
				value.pop_back();
			row.push_back(value);
			out[name][file] = std::string_view(file) == "owner" ? nlohmann::json(value)
									    : value_list_json(value);
		}
		rows.push_back(std::move(row));
	}
	if (json) {
		fmt::print("{}\n", out.dump(2));
		return exit_ok;
	}
	print_table({{"TUNABLE"}, {"VALUE"}, {"BOOT"}, {"COMPUTED"}, {"OWNER"}}, rows);
	return exit_ok;
}

int run_resize_local(const std::string &sysfs_root)
{
	namespace fs = std::filesystem;
	const fs::path resize = fs::path(sysfs_root) / module_dir / "resize";
	if (auto written = io::write_text_file(resize, "1"); !written) {
		fmt::print(stderr, "memtunectl: {}\n", written.error().message);
		if (written.error().code == ENOENT)
			fmt::print(stderr, "memtunectl: is the xen_memtune module loaded (modprobe "
					   "xen_memtune)?\n");
		else if (written.error().code == EACCES)
			fmt::print(stderr, "memtunectl: run as root\n");
		return exit_failure;
	}
	auto state = io::read_text_file(fs::path(sysfs_root) / module_dir / "state");
	std::string shown_state = state ? *state : "unknown";
	while (!shown_state.empty() && shown_state.back() == '\n')
		shown_state.pop_back();
	fmt::print("asked the module to recompute; state: {}\n", shown_state);
	return exit_ok;
}

int run_reclaim(std::uint64_t kb)
{
	return call_agent("Reclaim", "t", static_cast<uint64_t>(kb));
}

int run_swap_mode(const std::string &mode)
{
	if (auto parsed = parse_swap_mode(mode); !parsed) {
		fmt::print(stderr, "memtunectl: {}\n", parsed.error().message);
		return exit_usage;
	}
	return call_agent("SetSwapMode", "s", mode.c_str());
}

} // namespace memtune::cli
