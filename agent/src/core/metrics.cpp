#include "core/metrics.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmath>

#include <fmt/format.h>

#include "core/number.hpp"
#include "core/text.hpp"

namespace memtune::metrics {
namespace {

// The length of the well-formed UTF-8 sequence at the start of s (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence_length(std::string_view s)
{
	const auto byte = [&s](std::size_t i) { return static_cast<unsigned char>(s[i]); };
	const auto continuation = [&](std::size_t i) {
		return i < s.size() && (byte(i) & 0xC0) == 0x80;
	};
	const unsigned char b0 = byte(0);
	if (b0 < 0x80)
		return 1;
	if (b0 >= 0xC2 && b0 <= 0xDF)
		return continuation(1) ? 2 : 0;
	if (b0 >= 0xE0 && b0 <= 0xEF) {
		if (!continuation(1) || !continuation(2))
			return 0;
		if (b0 == 0xE0 && byte(1) < 0xA0) // overlong
			return 0;
		if (b0 == 0xED && byte(1) >= 0xA0) // UTF-16 surrogates
			return 0;
		return 3;
	}
	if (b0 >= 0xF0 && b0 <= 0xF4) {
		if (!continuation(1) || !continuation(2) || !continuation(3))
			return 0;
		if (b0 == 0xF0 && byte(1) < 0x90) // overlong
			return 0;
		if (b0 == 0xF4 && byte(1) >= 0x90) // above U+10FFFF
			return 0;
		return 4;
	}
	return 0;
}

std::string escape_help(std::string_view help)
{
	std::string out;
	for (char c : help) {
		if (c == '\\')
			out += "\\\\";
		else if (c == '\n')
			out += "\\n";
		else
			out += c;
	}
	return out;
}

bool name_char(char c, bool first, bool colon_allowed)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return true;
	if (c == ':')
		return colon_allowed;
	return !first && c >= '0' && c <= '9';
}

bool valid_name(std::string_view name, bool colon_allowed)
{
	if (name.empty())
		return false;
	for (std::size_t i = 0; i < name.size(); i++)
		if (!name_char(name[i], i == 0, colon_allowed))
			return false;
	return true;
}

} // namespace

Family &Family::add(double value, Labels labels)
{
	samples.push_back(Sample{std::move(labels), value});
	return *this;
}

Family gauge(std::string_view name, std::string help)
{
	return Family{std::string(prefix) + std::string(name), std::move(help), Type::gauge, {}};
}

Family counter(std::string_view name, std::string help)
{
	return Family{std::string(prefix) + std::string(name), std::move(help), Type::counter, {}};
}

bool valid_metric_name(std::string_view name)
{
	return valid_name(name, true);
}

bool valid_label_name(std::string_view name)
{
	return valid_name(name, false) && !name.starts_with("__");
}

std::string escape_label_value(std::string_view value)
{
	static constexpr std::string_view replacement = "\xEF\xBF\xBD"; // U+FFFD
	std::string out;
	std::size_t kept = 0; // bytes of the value kept, before escaping
	for (std::size_t i = 0; i < value.size();) {
		std::size_t length = utf8_sequence_length(value.substr(i));
		std::string_view character = length ? value.substr(i, length) : replacement;
		if (kept + character.size() > max_label_value_bytes)
			break;
		kept += character.size();
		i += length ? length : 1;
		if (character == "\\")
			out += "\\\\";
		else if (character == "\"")
			out += "\\\"";
		else if (character == "\n")
			out += "\\n";
		else
			out += character;
	}
	return out;
}

std::string format_value(double value)
{
	if (std::isnan(value))
		return "NaN";
	if (std::isinf(value))
		return value > 0 ? "+Inf" : "-Inf";
	// Integers print as integers (a byte count must not come out as 1.073741824e+09), within
	// the range a double holds exactly.
	constexpr double exact = 9007199254740992.0; // 2^53
	if (value == std::trunc(value) && std::fabs(value) <= exact)
		return fmt::format("{}", static_cast<long long>(value));
	return fmt::format("{}", value);
}

std::string render(const std::vector<Family> &families)
{
	std::string out;
	for (const auto &family : families) {
		if (family.samples.empty())
			continue;
		out += fmt::format("# HELP {} {}\n", family.name, escape_help(family.help));
		out += fmt::format("# TYPE {} {}\n", family.name,
				   family.type == Type::counter ? "counter" : "gauge");
		for (const auto &sample : family.samples) {
			out += family.name;
			if (!sample.labels.empty()) {
				out += '{';
				for (std::size_t i = 0; i < sample.labels.size(); i++) {
					if (i > 0)
						out += ',';
					out += fmt::format("{}=\"{}\"", sample.labels[i].first,
							   escape_label_value(sample.labels[i].second));
				}
				out += '}';
			}
			out += ' ';
			out += format_value(sample.value);
			out += '\n';
		}
	}
	return out;
}

std::string ListenAddress::text() const
{
	return ipv6 ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

Result<std::optional<ListenAddress>> parse_listen_address(std::string_view text)
{
	const std::string_view value = text::trim(text);
	if (value.empty() || value == "off")
		return std::optional<ListenAddress>{};
	const auto bad = [&value](std::string_view why) {
		return Error{fmt::format("listen address {} {} (expected off, ADDRESS:PORT or "
					 "[IPV6]:PORT)",
					 quote_for_message(value), why)};
	};
	if (value.find('\0') != std::string_view::npos)
		return bad("has a NUL byte");
	const std::size_t colon = value.rfind(':');
	if (colon == std::string_view::npos)
		return bad("has no port");
	std::string_view host = value.substr(0, colon);
	const std::string_view port_text = value.substr(colon + 1);
	ListenAddress address;
	if (host.starts_with('[')) {
		if (!host.ends_with(']') || host.size() < 3)
			return bad("has an unclosed [");
		host = host.substr(1, host.size() - 2);
		address.ipv6 = true;
	} else if (host.find(':') != std::string_view::npos) {
		return bad("needs brackets around an IPv6 address");
	}
	address.host = std::string(host);
	unsigned char buffer[sizeof(in6_addr)];
	if (inet_pton(address.ipv6 ? AF_INET6 : AF_INET, address.host.c_str(), buffer) != 1)
		return bad(address.ipv6 ? "is not a numeric IPv6 address"
					: "is not a numeric IPv4 address");
	auto port = parse_u64(port_text, "port");
	if (!port || *port < 1 || *port > 65535)
		return bad("has no port between 1 and 65535");
	address.port = static_cast<std::uint16_t>(*port);
	return std::optional<ListenAddress>{address};
}

} // namespace memtune::metrics
