// Metrics in the Prometheus text exposition format (version 0.0.4, what `/metrics` serves):
// plain families in, text out. Pure: the daemons fill the families from what they already
// sampled, render them here, and hand the text to the HTTP edge (io/metrics_server.hpp).
//
// Conventions (https://prometheus.io/docs/practices/naming/): every name starts with
// `xenmemtune_`, values are in base units (bytes, seconds, ratios 0..1), counters end in
// `_total`, every family has `# HELP` and `# TYPE`. Label values may come from a guest (a
// domain's name): they are escaped, made valid UTF-8 and capped here, so no guest can break
// the exposition or add a line of its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace memtune::metrics {

inline constexpr std::string_view prefix = "xenmemtune_";
// The Content-Type of the text format.
inline constexpr const char *content_type = "text/plain; version=0.0.4; charset=utf-8";
// Longest label value kept, in bytes (cut at a character boundary).
inline constexpr std::size_t max_label_value_bytes = 256;

enum class Type { gauge, counter };

using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
	Labels labels;
	double value = 0;
};

struct Family {
	std::string name; // with the prefix; a counter's ends in _total
	std::string help;
	Type type = Type::gauge;
	std::vector<Sample> samples;

	// Adds one sample; returns *this so a family reads as one expression.
	Family &add(double value, Labels labels = {});
};

// A family named prefix + name, without samples yet.
Family gauge(std::string_view name, std::string help);
Family counter(std::string_view name, std::string help);

// The exposition: for each family `# HELP`, `# TYPE` and one line per sample, in the order
// given. A family without samples is left out (Prometheus has nothing to store for it).
std::string render(const std::vector<Family> &families);

// A label value as it goes between the quotes: backslash, double quote and newline escaped,
// bytes that are not UTF-8 replaced by U+FFFD, cut to max_label_value_bytes.
std::string escape_label_value(std::string_view value);
// A number as Prometheus parses it: integers without exponent up to 2^53, NaN, +Inf, -Inf.
std::string format_value(double value);
// [a-zA-Z_:][a-zA-Z0-9_:]*, the names the format allows (label names: no ':').
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

// Where an exporter listens: `metrics.listen` in agent.conf and arbiter.conf.
//   "off" (or empty)           no exporter
//   "127.0.0.1:9867"           an IPv4 address and a port (1..65535)
//   "[::1]:9868"               an IPv6 address in brackets and a port
// Host names are refused: the exporter binds what the admin wrote, not what a resolver says.
struct ListenAddress {
	std::string host; // numeric, without brackets
	std::uint16_t port = 0;
	bool ipv6 = false;

	std::string text() const; // as written: "127.0.0.1:9867", "[::1]:9868"
	bool operator==(const ListenAddress &) const = default;
};
Result<std::optional<ListenAddress>> parse_listen_address(std::string_view text);

// The default ports (not in Prometheus' port allocation list, which is full: any exporter port
// is someone's; these are ours and configurable).
inline constexpr std::uint16_t guest_default_port = 9867;
inline constexpr std::uint16_t arbiter_default_port = 9868;

} // namespace memtune::metrics
