#include "cli/xenstore_view.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "core/number.hpp"

namespace memtune::cli {

io::Result<std::vector<Domain>> list_domains(io::XenStore &xs)
{
	auto ids = xs.directory("/local/domain");
	if (!ids)
		return ids.error();
	std::vector<Domain> domains;
	for (const auto &id : *ids) {
		auto domid = parse_u64(id, "domid");
		if (!domid || *domid > 0x7fef) // DOMID_FIRST_RESERVED
			continue;
		Domain domain;
		domain.domid = static_cast<unsigned>(*domid);
		domain.home = "/local/domain/" + id;
		domain.name = printable(xs.read(domain.home + "/name").value_or(""), 64);
		domains.push_back(std::move(domain));
	}
	std::sort(domains.begin(), domains.end(),
		  [](const Domain &a, const Domain &b) { return a.domid < b.domid; });
	return domains;
}

io::Result<Domain> resolve_domain(io::XenStore &xs, std::string_view text)
{
	auto domains = list_domains(xs);
	if (!domains)
		return domains.error();
	auto as_number = parse_u64(text, "domid");
	for (const auto &domain : *domains) {
		if (as_number && domain.domid == *as_number)
			return domain;
		if (!as_number && domain.name == text)
			return domain;
	}
	return io::Error{ENOENT, fmt::format("no domain {} in /local/domain (see `xl list`)",
					     quote_for_message(text))};
}

io::Result<std::map<std::string, std::string>> read_values(io::XenStore &xs, const std::string &dir,
							   io::TransactionId tx)
{
	auto names = xs.directory(dir, tx);
	if (!names)
		return names.error();
	std::map<std::string, std::string> values;
	for (const auto &name : *names) {
		if (auto value = xs.read(dir + "/" + name, tx))
			values.emplace(name, std::move(*value));
	}
	return values;
}

std::optional<std::uint64_t> strict_u64(const std::map<std::string, std::string> &values,
					const std::string &key)
{
	auto it = values.find(key);
	if (it == values.end())
		return std::nullopt;
	auto number = parse_u64(it->second, key);
	if (!number)
		return std::nullopt;
	return *number;
}

std::string printable(std::string_view text, std::size_t max)
{
	std::string out;
	for (char c : text.substr(0, max))
		out += (c >= 0x20 && c < 0x7f) ? c : '?';
	return out;
}

io::Result<void> ensure_dom0_node(io::XenStore &xs, const Domain &domain,
				  const std::string &relative, io::TransactionId tx)
{
	std::string path = domain.home + "/" + relative;
	if (auto made = xs.mkdir(path, tx); !made)
		return made;
	const std::vector<io::Permission> perms = {{0, io::Access::none},
						   {domain.domid, io::Access::read}};
	auto current = xs.get_perms(path, tx);
	if (current && *current == perms)
		return {};
	return xs.set_perms(path, perms, tx);
}

io::Result<void> write_directive_nodes(io::XenStore &xs, const Domain &domain,
				       const DirectiveNodes &d, io::TransactionId tx)
{
	const std::string dir = domain.home + "/memtune/directive";
	for (const char *node : {"memtune", "memtune/directive"}) {
		if (auto made = ensure_dom0_node(xs, domain, node, tx); !made)
			return made;
	}
	for (const char *key : {"swap-mode", "reclaim-kb", "swappiness"}) {
		if (auto removed = xs.rm(dir + "/" + key, tx); !removed)
			return removed;
	}
	std::vector<std::pair<std::string, std::string>> values = {
		{"expires", std::to_string(d.expires_s)}};
	if (d.swap_mode)
		values.emplace_back("swap-mode", *d.swap_mode);
	if (d.reclaim_kb)
		values.emplace_back("reclaim-kb", std::to_string(*d.reclaim_kb));
	if (d.swappiness)
		values.emplace_back("swappiness", std::to_string(*d.swappiness));
	values.emplace_back("seq", std::to_string(d.seq));
	for (const auto &[key, value] : values) {
		if (auto done = xs.write(dir + "/" + key, value, tx); !done)
			return done;
	}
	return {};
}

io::Result<std::uint64_t> next_directive_seq(io::XenStore &xs, const Domain &domain,
					     io::TransactionId tx)
{
	std::uint64_t last = 0;
	for (const char *path : {"/memtune/directive/seq", "/data/memtune/ack/seq"}) {
		if (auto text = xs.read(domain.home + path, tx)) {
			if (auto seq = parse_u64(*text, "seq"))
				last = std::max(last, *seq);
		}
	}
	if (last == std::numeric_limits<std::uint64_t>::max())
		return io::Error{EOVERFLOW, "directive seq is at its maximum; remove " +
						    domain.home + "/memtune/directive and "
						    "data/memtune/ack in the guest"};
	return last + 1;
}

ScopedWatch::ScopedWatch(io::XenStore &xs, const std::string &path)
	: xs_(xs), token_(xs.watch(path, [](const std::string &) {}))
{
}

ScopedWatch::~ScopedWatch()
{
	if (token_)
		xs_.unwatch(*token_);
}

io::Result<bool> wait_until(io::XenStore &xs, std::chrono::steady_clock::time_point deadline,
			    const std::function<bool()> &done)
{
	using namespace std::chrono;
	for (;;) {
		if (done())
			return true;
		auto left = duration_cast<milliseconds>(deadline - steady_clock::now());
		if (left.count() <= 0)
			return false;
		auto waited = io::wait_for_watch_events(xs, std::min(left, milliseconds(250)));
		if (!waited)
			return waited.error();
	}
}

std::string format_elapsed(std::chrono::steady_clock::duration elapsed)
{
	auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
	if (ms < 1000)
		return fmt::format("{} ms", ms);
	return fmt::format("{:.1f} s", static_cast<double>(ms) / 1000.0);
}

} // namespace memtune::cli
