// The exposition format (core/metrics.hpp), the listen address, and the families both daemons
// export (core/guest_metrics.hpp, core/arbiter_metrics.hpp): names and types to Prometheus'
// conventions, values in base units, and label values from a guest that cannot break a line.
#include "core/metrics.hpp"

#include <limits>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "core/arbiter_config.hpp"
#include "core/arbiter_metrics.hpp"
#include "core/config.hpp"
#include "core/guest_metrics.hpp"

using namespace std::string_literals;

namespace memtune {
namespace {

TEST(Metrics, EscapeLabelValue)
{
	struct Case {
		std::string in;
		std::string out;
	};
	const Case cases[] = {
		{"", ""},
		{"guest1", "guest1"},
		{"a b", "a b"},
		{"back\\slash", "back\\\\slash"},
		{"say \"hi\"", "say \\\"hi\\\""},
		{"two\nlines", "two\\nlines"},
		// A name that tries to end the sample and start one of its own.
		{"x\"} 1\nxenmemtune_fake{a=\"", "x\\\"} 1\\nxenmemtune_fake{a=\\\""},
		{"tab\there", "tab\there"},
		{"nul\0in"s, "nul\0in"s},
		{"caf\xC3\xA9", "caf\xC3\xA9"},                 // é, two bytes
		{"\xE2\x82\xAC", "\xE2\x82\xAC"},               // €, three bytes
		{"\xF0\x9F\x90\xA7", "\xF0\x9F\x90\xA7"},       // 🐧, four bytes
		{"\xFF", "\xEF\xBF\xBD"},                       // never UTF-8
		{"a\x80z", "a\xEF\xBF\xBDz"},                   // lone continuation byte
		{"\xC0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD"},       // overlong NUL
		{"\xE0\x80\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, // overlong '/'
		{"\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, // UTF-16 surrogate
		{"\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, // > U+10FFFF
		{"cut\xE2\x82", "cut\xEF\xBF\xBD\xEF\xBF\xBD"}, // sequence cut short
	};
	for (const auto &c : cases)
		EXPECT_EQ(metrics::escape_label_value(c.in), c.out) << testing::PrintToString(c.in);
}

TEST(Metrics, EscapeLabelValueCapsLength)
{
	EXPECT_EQ(metrics::escape_label_value(std::string(1000, 'a')),
		  std::string(metrics::max_label_value_bytes, 'a'));
	// Cut before a character that would not fit whole.
	const std::string almost(metrics::max_label_value_bytes - 1, 'a');
	EXPECT_EQ(metrics::escape_label_value(almost + "\xC3\xA9"), almost);
	// Escaping doubles a quote in the output, but the cap counts the value's own bytes.
	const std::string quotes(metrics::max_label_value_bytes + 10, '"');
	EXPECT_EQ(metrics::escape_label_value(quotes).size(), 2 * metrics::max_label_value_bytes);
}

TEST(Metrics, FormatValue)
{
	struct Case {
		double in;
		const char *out;
	};
	const Case cases[] = {
		{0, "0"},
		{1, "1"},
		{-1, "-1"},
		{1027493888, "1027493888"},
		{9007199254740992.0, "9007199254740992"},
		{0.5, "0.5"},
		{0.0012, "0.0012"},
		{1e300, "1e+300"},
		{std::numeric_limits<double>::quiet_NaN(), "NaN"},
		{std::numeric_limits<double>::infinity(), "+Inf"},
		{-std::numeric_limits<double>::infinity(), "-Inf"},
	};
	for (const auto &c : cases)
		EXPECT_EQ(metrics::format_value(c.in), c.out);
}

TEST(Metrics, RenderText)
{
	std::vector<metrics::Family> families;
	families.push_back({"xenmemtune_a_bytes", "A size.\nSecond line \\ end.",
			    metrics::Type::gauge, {}});
	families.back().add(1024).add(2048, {{"domid", "3"}, {"name", "g\"1"}});
	families.push_back({"xenmemtune_empty_total", "Nothing yet.", metrics::Type::counter, {}});
	families.push_back({"xenmemtune_b_total", "Some count.", metrics::Type::counter, {}});
	families.back().add(7, {{"result", "applied"}});
	EXPECT_EQ(metrics::render(families),
		  "# HELP xenmemtune_a_bytes A size.\\nSecond line \\\\ end.\n"
		  "# TYPE xenmemtune_a_bytes gauge\n"
		  "xenmemtune_a_bytes 1024\n"
		  "xenmemtune_a_bytes{domid=\"3\",name=\"g\\\"1\"} 2048\n"
		  "# HELP xenmemtune_b_total Some count.\n"
		  "# TYPE xenmemtune_b_total counter\n"
		  "xenmemtune_b_total{result=\"applied\"} 7\n");
	EXPECT_EQ(metrics::render({}), "");
}

TEST(Metrics, Names)
{
	EXPECT_TRUE(metrics::valid_metric_name("xenmemtune_a:b_total"));
	EXPECT_FALSE(metrics::valid_metric_name(""));
	EXPECT_FALSE(metrics::valid_metric_name("1abc"));
	EXPECT_FALSE(metrics::valid_metric_name("a-b"));
	EXPECT_TRUE(metrics::valid_label_name("domid"));
	EXPECT_FALSE(metrics::valid_label_name("a:b"));
	EXPECT_FALSE(metrics::valid_label_name("__name__"));
}

TEST(Metrics, ParseListenAddress)
{
	using metrics::ListenAddress;
	struct Good {
		std::string in;
		std::optional<ListenAddress> out;
	};
	const Good good[] = {
		{"off", std::nullopt},
		{"", std::nullopt},
		{"  off  ", std::nullopt},
		{"127.0.0.1:9867", ListenAddress{"127.0.0.1", 9867, false}},
		{"0.0.0.0:1", ListenAddress{"0.0.0.0", 1, false}},
		{"10.1.2.3:65535", ListenAddress{"10.1.2.3", 65535, false}},
		{"[::1]:9868", ListenAddress{"::1", 9868, true}},
		{"[::]:9868", ListenAddress{"::", 9868, true}},
	};
	for (const auto &g : good) {
		auto parsed = metrics::parse_listen_address(g.in);
		ASSERT_TRUE(parsed) << g.in << ": " << parsed.error().message;
		EXPECT_EQ(*parsed, g.out) << g.in;
	}
	const std::string bad[] = {
		"on", "localhost:9867", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
		"127.0.0.1:+80", "127.0.0.1:-80", "127.0.0.1: 80", "127.0.0.1:080", "127.0.0.1:8o",
		"127.0.0.1:99999999999999999999999", "::1:9867", "[::1:9867", "[]:80", "[127.0.0.1]:80",
		"1.2.3:80", "1.2.3.4.5:80", "256.0.0.1:80", ":80", "127.0.0.1\0:80"s,
		"127.0.0.1:80\0"s, std::string(300, '1') + ":80",
	};
	for (const auto &b : bad) {
		auto parsed = metrics::parse_listen_address(b);
		ASSERT_FALSE(parsed) << testing::PrintToString(b);
		EXPECT_NE(parsed.error().message.find("listen address"), std::string::npos);
	}
	EXPECT_EQ((ListenAddress{"::1", 9868, true}).text(), "[::1]:9868");
	EXPECT_EQ((ListenAddress{"127.0.0.1", 9867, false}).text(), "127.0.0.1:9867");
}

TEST(Metrics, ConfigKeys)
{
	auto agent = parse_config({});
	ASSERT_TRUE(agent);
	EXPECT_FALSE(agent->metrics_listen) << "off in the guest by default";
	auto arbiter = arbiter::parse_config({});
	ASSERT_TRUE(arbiter);
	ASSERT_TRUE(arbiter->metrics_listen) << "on in Dom0 by default";
	EXPECT_EQ(arbiter->metrics_listen->text(), "127.0.0.1:9868");

	agent = parse_config({{"agent.conf", "[metrics]\nlisten = 127.0.0.1:9867\n"}});
	ASSERT_TRUE(agent) << agent.error().message;
	EXPECT_EQ(agent->metrics_listen->text(), "127.0.0.1:9867");
	arbiter = arbiter::parse_config({{"arbiter.conf", "[metrics]\nlisten = off\n"}});
	ASSERT_TRUE(arbiter) << arbiter.error().message;
	EXPECT_FALSE(arbiter->metrics_listen);

	auto bad = parse_config({{"agent.conf", "[metrics]\nlisten = localhost:9867\n"}});
	ASSERT_FALSE(bad);
	EXPECT_EQ(bad.error().message.rfind("agent.conf:2: ", 0), 0u) << bad.error().message;
	auto unknown = arbiter::parse_config({{"arbiter.conf", "[metrics]\nport = 1\n"}});
	ASSERT_FALSE(unknown);
	EXPECT_NE(unknown.error().message.find("port"), std::string::npos);
}

// Prometheus' naming rules, checked on every family a daemon exports.
void expect_conventions(const std::vector<metrics::Family> &families)
{
	std::set<std::string> names;
	for (const auto &f : families) {
		SCOPED_TRACE(f.name);
		EXPECT_TRUE(names.insert(f.name).second) << "one family per name";
		EXPECT_TRUE(metrics::valid_metric_name(f.name));
		EXPECT_EQ(f.name.rfind(metrics::prefix, 0), 0u);
		EXPECT_FALSE(f.help.empty());
		EXPECT_EQ(f.type == metrics::Type::counter, f.name.ends_with("_total"));
		for (const char *bad_unit : {"_kb", "_kib", "_ms", "_ns", "_pct", "_percent"})
			EXPECT_EQ(f.name.find(bad_unit), std::string::npos) << "base units only";
		std::set<metrics::Labels> label_sets;
		for (const auto &s : f.samples) {
			EXPECT_TRUE(label_sets.insert(s.labels).second) << "no duplicate series";
			for (const auto &[name, value] : s.labels)
				EXPECT_TRUE(metrics::valid_label_name(name)) << name;
		}
	}
}

double value_of(const std::vector<metrics::Family> &families, const std::string &name,
		const metrics::Labels &labels = {})
{
	for (const auto &f : families)
		if (f.name == name)
			for (const auto &s : f.samples)
				if (s.labels == labels)
					return s.value;
	ADD_FAILURE() << "no " << name;
	return -1;
}

bool has_family(const std::vector<metrics::Family> &families, const std::string &name)
{
	for (const auto &f : families)
		if (f.name == name && !f.samples.empty())
			return true;
	return false;
}

TEST(GuestMetrics, ValuesInBaseUnits)
{
	GuestMetrics m;
	m.meminfo = Meminfo{};
	m.meminfo->mem_total_kb = 1003412;
	m.meminfo->mem_available_kb = 712304;
	m.meminfo->swap_total_kb = 1048576;
	m.meminfo->swap_free_kb = 1000000;
	m.vmstat = Vmstat{300, 500, 0, 0};
	m.pressure = MemoryPressure{{1234, 500, 0, 2500000}, {10, 0, 0, 1000}};
	m.balloon = BalloonSample{1048576, 2097152};
	m.report = Report{};
	m.report->floor_kb = 400000;
	m.reports_published = 3;
	m.directives.count(AckResult::applied);
	m.directives.count(AckResult::applied);
	m.directives.count(AckResult::refused);
	m.module.loaded = true;
	m.module.target_kb = 2097152;
	m.module.current_kb = 1048576;
	m.module.floor_kb = 262144;
	m.module.passes = 4;
	m.module.target_refusals = 2;
	m.module.apply_duration_ns = 1500000;
	const auto f = guest_families(m);
	expect_conventions(f);
	EXPECT_EQ(value_of(f, "xenmemtune_memory_total_bytes"), 1003412.0 * 1024);
	EXPECT_EQ(value_of(f, "xenmemtune_memory_available_bytes"), 712304.0 * 1024);
	EXPECT_EQ(value_of(f, "xenmemtune_swap_used_bytes"), 48576.0 * 1024);
	EXPECT_EQ(value_of(f, "xenmemtune_swap_in_bytes_total"), 300.0 * 4096);
	EXPECT_EQ(value_of(f, "xenmemtune_swap_out_bytes_total"), 500.0 * 4096);
	EXPECT_DOUBLE_EQ(value_of(f, "xenmemtune_memory_pressure_stalled_seconds_total",
				  {{"kind", "some"}}),
			 2.5);
	EXPECT_DOUBLE_EQ(value_of(f, "xenmemtune_memory_pressure_avg10_ratio", {{"kind", "some"}}),
			 0.1234);
	EXPECT_EQ(value_of(f, "xenmemtune_balloon_target_bytes"), 2097152.0 * 1024);
	EXPECT_EQ(value_of(f, "xenmemtune_balloon_current_bytes"), 1048576.0 * 1024);
	EXPECT_EQ(value_of(f, "xenmemtune_report_floor_bytes"), 400000.0 * 1024);
	EXPECT_EQ(value_of(f, "xenmemtune_reports_published_total"), 3);
	EXPECT_EQ(value_of(f, "xenmemtune_directives_total", {{"result", "applied"}}), 2);
	EXPECT_EQ(value_of(f, "xenmemtune_directives_total", {{"result", "partial"}}), 0);
	EXPECT_EQ(value_of(f, "xenmemtune_directives_total", {{"result", "refused"}}), 1);
	EXPECT_EQ(value_of(f, "xenmemtune_module_loaded"), 1);
	EXPECT_EQ(value_of(f, "xenmemtune_module_floor_bytes"), 262144.0 * 1024);
	EXPECT_EQ(value_of(f, "xenmemtune_module_passes_total"), 4);
	EXPECT_EQ(value_of(f, "xenmemtune_module_target_refusals_total"), 2);
	EXPECT_DOUBLE_EQ(value_of(f, "xenmemtune_module_last_apply_duration_seconds"), 0.0015);
	// Files the module did not have are left out, not exported as 0.
	EXPECT_FALSE(has_family(f, "xenmemtune_module_stalls_total"));
}

TEST(GuestMetrics, NothingSampledYet)
{
	const auto f = guest_families(GuestMetrics{});
	expect_conventions(f);
	EXPECT_EQ(value_of(f, "xenmemtune_module_loaded"), 0);
	EXPECT_FALSE(has_family(f, "xenmemtune_memory_total_bytes"));
	EXPECT_FALSE(has_family(f, "xenmemtune_module_passes_total"));
	EXPECT_TRUE(has_family(f, "xenmemtune_directives_total"));
}

arbiter::State two_domain_state()
{
	arbiter::State state;
	auto &rogue = state.domains[1];
	rogue.name = "rogue";
	rogue.rogue = true;
	rogue.stage = arbiter::Stage::avoid_disk;
	rogue.share_pct = 82;
	rogue.report_usable = true;
	rogue.report = Report{};
	rogue.report->floor_kb = 200000;
	rogue.report->swap_in_pps = 1500;
	rogue.report->swap_out_pps = 2500;
	rogue.report->psi_some_avg10_centi = 2550;
	rogue.directive = arbiter::SentDirective{};
	rogue.directive->seq = 2;
	rogue.directive->answered = true;
	rogue.directive->result = "applied";
	auto &evil = state.domains[2];
	evil.name = "evil\"}\n";
	evil.bad_reports = 3;
	evil.report_problem = "version";
	state.disks["vda"].last.await_ms = 512;
	state.disks["vda"].last.util_pct = 88;
	state.disks["vda"].harmed = true;
	return state;
}

TEST(ArbiterMetrics, PerDomainAndDecisions)
{
	const arbiter::Config config;
	const arbiter::State state = two_domain_state();
	arbiter::Sample sample;
	sample.host_total_kb = 4194304;
	sample.host_free_kb = 1048576;
	arbiter::DomainSample d;
	d.domid = 1;
	d.name = "rogue";
	d.current_kb = 262144;
	d.target_kb = 524288;
	d.static_max_kb = 1048576;
	sample.domains.push_back(d);
	arbiter::Counters counters;
	counters.intervals = 10;
	counters.directives_sent[1] = 2;
	counters.decisions[{1, "prefer-fast", "done"}] = 1;
	counters.decisions[{1, "avoid-disk", "done"}] = 1;
	arbiter::State before = state;
	before.domains[1].directive->answered = false;
	arbiter::count_answers(counters, before, state);
	arbiter::count_answers(counters, state, state); // the same answer is counted once

	const auto f = arbiter::arbiter_families(config, state, sample, counters);
	expect_conventions(f);
	const metrics::Labels rogue = {{"domid", "1"}, {"name", "rogue"}};
	EXPECT_EQ(value_of(f, "xenmemtune_domain_current_bytes", rogue), 262144.0 * 1024);
	EXPECT_EQ(value_of(f, "xenmemtune_domain_target_bytes", rogue), 524288.0 * 1024);
	EXPECT_EQ(value_of(f, "xenmemtune_domain_static_max_bytes", rogue), 1048576.0 * 1024);
	EXPECT_EQ(value_of(f, "xenmemtune_domain_floor_bytes", rogue), 200000.0 * 1024);
	EXPECT_EQ(value_of(f, "xenmemtune_domain_swap_in_pages_per_second", rogue), 1500);
	EXPECT_DOUBLE_EQ(value_of(f, "xenmemtune_domain_memory_pressure_avg10_ratio",
				  {{"domid", "1"}, {"name", "rogue"}, {"kind", "some"}}),
			 0.255);
	EXPECT_EQ(value_of(f, "xenmemtune_domain_rogue", rogue), 1);
	EXPECT_EQ(value_of(f, "xenmemtune_domain_remedy_stage",
			   {{"domid", "1"}, {"name", "rogue"}, {"stage", "avoid-disk"}}),
		  1);
	EXPECT_EQ(value_of(f, "xenmemtune_domain_remedy_stage",
			   {{"domid", "1"}, {"name", "rogue"}, {"stage", "none"}}),
		  0);
	EXPECT_DOUBLE_EQ(value_of(f, "xenmemtune_domain_backend_io_share_ratio", rogue), 0.82);
	EXPECT_EQ(value_of(f, "xenmemtune_directives_sent_total", rogue), 2);
	EXPECT_EQ(value_of(f, "xenmemtune_directive_answers_total",
			   {{"domid", "1"}, {"name", "rogue"}, {"result", "applied"}}),
		  1);
	EXPECT_EQ(value_of(f, "xenmemtune_arbiter_decisions_total",
			   {{"domid", "1"}, {"name", "rogue"}, {"decision", "avoid-disk"},
			    {"outcome", "done"}}),
		  1);
	EXPECT_EQ(value_of(f, "xenmemtune_domain_bad_reports_total",
			   {{"domid", "2"}, {"name", "evil\"}\n"}}),
		  3);
	EXPECT_EQ(value_of(f, "xenmemtune_disk_await_seconds", {{"disk", "vda"}}), 0.512);
	EXPECT_DOUBLE_EQ(value_of(f, "xenmemtune_disk_utilization_ratio", {{"disk", "vda"}}), 0.88);
	EXPECT_EQ(value_of(f, "xenmemtune_arbiter_mode", {{"mode", "observe"}}), 1);
	EXPECT_EQ(value_of(f, "xenmemtune_arbiter_mode", {{"mode", "act"}}), 0);
	EXPECT_EQ(value_of(f, "xenmemtune_host_memory_free_bytes"), 1048576.0 * 1024);

	// The hostile name stays inside its quotes: one line per sample.
	const std::string text = metrics::render(f);
	EXPECT_NE(text.find("name=\"evil\\\"}\\n\"} 3\n"), std::string::npos) << text;
	for (std::size_t start = 0; start < text.size();) {
		std::size_t end = text.find('\n', start);
		const std::string line = text.substr(start, end - start);
		EXPECT_TRUE(line.starts_with("# HELP xenmemtune_") ||
			    line.starts_with("# TYPE xenmemtune_") || line.starts_with("xenmemtune_"))
			<< line;
		start = end + 1;
	}
}

TEST(ArbiterMetrics, ObservedDirectivesAreNotAnswersAndGoneDomainsArePruned)
{
	arbiter::State before, after;
	after.domains[1].directive = arbiter::SentDirective{};
	after.domains[1].directive->answered = true;
	after.domains[1].directive->result = "observed";
	arbiter::Counters counters;
	arbiter::count_answers(counters, before, after);
	EXPECT_TRUE(counters.answers.empty());

	counters.directives_sent[1] = 1;
	counters.directives_sent[7] = 4;
	counters.decisions[{7, "grant", "would"}] = 1;
	counters.answers[{7, "refused"}] = 1;
	counters.prune(after.domains);
	EXPECT_EQ(counters.directives_sent.size(), 1u);
	EXPECT_TRUE(counters.decisions.empty());
	EXPECT_TRUE(counters.answers.empty());
}

TEST(ArbiterMetrics, KillSwitchMeansObserve)
{
	arbiter::Config config;
	config.mode = arbiter::Mode::act;
	arbiter::Sample sample;
	sample.kill_switch = true;
	const auto f = arbiter::arbiter_families(config, {}, sample, {});
	expect_conventions(f);
	EXPECT_EQ(value_of(f, "xenmemtune_arbiter_mode", {{"mode", "observe"}}), 1);
	EXPECT_EQ(value_of(f, "xenmemtune_arbiter_kill_switch"), 1);
}

} // namespace
} // namespace memtune
