// libFuzzer target for the directive parser, the one parser that reads input from another domain.
//
// Input layout (so the fuzzer can reach every branch, including absent nodes and embedded NULs):
//   byte 0        presence bits: 1 seq, 2 expires, 4 swap-mode, 8 reclaim-kb, 16 swappiness;
//                 32 honour_dom0 off, 64 only "normal" allowed
//   bytes 1..8    now, seconds (little endian)
//   bytes 9..16   last answered seq (little endian)
//   then, for each present node in the order above: one length byte, then that many bytes
// Short input reads as zeros and empty strings.
//
// Checked on every input: a Directive obeys every bound of the config it was parsed against; a
// Refusal has a printable, bounded reason and never claims a seq it did not parse; the ack
// encoder keeps node values small and printable.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>

#include "core/ack.hpp"
#include "core/directive.hpp"
#include "core/number.hpp"

namespace {

class Reader {
public:
	Reader(const std::uint8_t *data, std::size_t size) : data_(data), size_(size) {}

	std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }

	std::uint64_t u64()
	{
		std::uint64_t v = 0;
		for (int i = 0; i < 8; i++)
			v |= static_cast<std::uint64_t>(byte()) << (8 * i);
		return v;
	}

	std::string string()
	{
		std::size_t n = byte();
		n = std::min(n, size_ - std::min(pos_, size_));
		std::string s(reinterpret_cast<const char *>(data_ + pos_), n);
		pos_ += n;
		return s;
	}

private:
	const std::uint8_t *data_;
	std::size_t size_;
	std::size_t pos_ = 0;
};

void check(bool condition)
{
	if (!condition)
		std::abort();
}

bool printable(const std::string &s)
{
	for (char c : s)
		if (c < 0x20 || c > 0x7e)
			return false;
	return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	using namespace memtune;
	Reader in(data, size);
	const std::uint8_t flags = in.byte();
	const std::uint64_t now = in.u64();
	const std::uint64_t last_seq = in.u64();
	RawDirective raw;
	if (flags & 1)
		raw.seq = in.string();
	if (flags & 2)
		raw.expires = in.string();
	if (flags & 4)
		raw.swap_mode = in.string();
	if (flags & 8)
		raw.reclaim_kb = in.string();
	if (flags & 16)
		raw.swappiness = in.string();
	Config config;
	if (flags & 32)
		config.honour_dom0 = false;
	if (flags & 64)
		config.allowed_modes = {SwapMode::normal};

	const auto outcome = parse_directive(raw, now, last_seq, config);
	Ack ack;
	if (const auto *d = std::get_if<Directive>(&outcome)) {
		check(config.honour_dom0);
		check(d->seq > last_seq && d->seq > 0);
		check(d->expires_s > now && d->expires_s - now <= config.max_lifetime_s);
		check(d->swap_mode || d->reclaim_kb || d->swappiness);
		check(!d->swap_mode || config.mode_allowed(*d->swap_mode));
		check(!d->reclaim_kb || *d->reclaim_kb <= config.max_reclaim_kb);
		check(!d->swappiness || (*d->swappiness >= config.swappiness_min &&
					 *d->swappiness <= config.swappiness_max));
		// The value that parsed must be the text that was there, digit for digit.
		check(raw.seq && std::to_string(d->seq) == *raw.seq);
		ack = {d->seq, AckResult::applied, ""};
	} else if (const auto *r = std::get_if<Refusal>(&outcome)) {
		check(!r->reason.empty() && r->reason.size() <= 300 && printable(r->reason));
		check(!r->seq || (raw.seq && std::to_string(*r->seq) == *raw.seq));
		check(r->kind != RefusalKind::replayed || (r->seq && *r->seq < last_seq));
		ack = {r->seq.value_or(0), AckResult::refused, r->reason};
	} else if (const auto *a = std::get_if<AlreadyAnswered>(&outcome)) {
		check(a->seq == last_seq);
		return 0;
	} else {
		check(!raw.seq && !raw.expires && !raw.swap_mode && !raw.reclaim_kb &&
		      !raw.swappiness);
		return 0;
	}
	for (const auto &[key, value] : encode_ack(ack))
		check(value.size() <= max_reason_bytes && printable(value));
	return 0;
}
