#include "core/directive.hpp"

#include <fmt/format.h>

#include "core/number.hpp"

namespace memtune {

namespace {

// Kernel bound on vm.swappiness since Linux 5.8 (mm: swappiness up to 200).
constexpr std::uint32_t kernel_max_swappiness = 200;

Refusal refuse(RefusalKind kind, std::optional<std::uint64_t> seq, std::string reason)
{
	return Refusal{kind, seq, std::move(reason)};
}

} // namespace

DirectiveOutcome parse_directive(const RawDirective &raw, std::uint64_t now_s,
				 std::uint64_t last_answered_seq, const Config &config)
{
	if (!raw.seq && !raw.expires && !raw.swap_mode && !raw.reclaim_kb && !raw.swappiness)
		return NoDirective{};

	if (!raw.seq)
		return refuse(RefusalKind::malformed, std::nullopt, "directive has no seq");
	auto seq = parse_u64(*raw.seq, "seq");
	if (!seq)
		return refuse(RefusalKind::malformed, std::nullopt, seq.error().message);
	if (*seq == 0)
		return refuse(RefusalKind::malformed, std::nullopt, "seq 0 is not allowed (seq starts at 1)");
	if (*seq == last_answered_seq)
		return AlreadyAnswered{*seq};
	if (*seq < last_answered_seq)
		return refuse(RefusalKind::replayed, *seq,
			      fmt::format("seq {} is not newer than the last answered seq {}", *seq,
					  last_answered_seq));

	if (!config.honour_dom0)
		return refuse(RefusalKind::disabled, *seq,
			      "directives from Dom0 are disabled by local config (honour_dom0 = no)");

	if (!raw.expires)
		return refuse(RefusalKind::malformed, *seq, "directive has no expires");
	auto expires = parse_u64(*raw.expires, "expires");
	if (!expires)
		return refuse(RefusalKind::malformed, *seq, expires.error().message);
	if (*expires <= now_s)
		return refuse(RefusalKind::expired, *seq,
			      fmt::format("directive expired {} s ago (expires {}, now {})",
					  now_s - *expires, *expires, now_s));
	if (*expires - now_s > config.max_lifetime_s)
		return refuse(RefusalKind::out_of_range, *seq,
			      fmt::format("expires {} is {} s ahead, more than the local maximum {} s",
					  *expires, *expires - now_s, config.max_lifetime_s));

	Directive d;
	d.seq = *seq;
	d.expires_s = *expires;

	if (raw.swap_mode) {
		auto mode = parse_swap_mode(*raw.swap_mode);
		if (!mode)
			return refuse(RefusalKind::malformed, *seq, mode.error().message);
		if (!config.mode_allowed(*mode))
			return refuse(RefusalKind::not_allowed, *seq,
				      fmt::format("swap-mode {} is not allowed by local config",
						  to_string(*mode)));
		d.swap_mode = *mode;
	}

	if (raw.reclaim_kb) {
		auto kb = parse_u64(*raw.reclaim_kb, "reclaim-kb");
		if (!kb)
			return refuse(RefusalKind::malformed, *seq, kb.error().message);
		if (*kb > config.max_reclaim_kb)
			return refuse(RefusalKind::out_of_range, *seq,
				      fmt::format("reclaim-kb {} is above the local maximum {}", *kb,
						  config.max_reclaim_kb));
		d.reclaim_kb = *kb;
	}

	if (raw.swappiness) {
		auto value = parse_u64(*raw.swappiness, "swappiness");
		if (!value)
			return refuse(RefusalKind::malformed, *seq, value.error().message);
		if (*value > kernel_max_swappiness)
			return refuse(RefusalKind::out_of_range, *seq,
				      fmt::format("swappiness {} is outside the kernel's 0..{}", *value,
						  kernel_max_swappiness));
		if (*value < config.swappiness_min || *value > config.swappiness_max)
			return refuse(RefusalKind::out_of_range, *seq,
				      fmt::format("swappiness {} is outside the local range {}..{}",
						  *value, config.swappiness_min,
						  config.swappiness_max));
		d.swappiness = static_cast<std::uint32_t>(*value);
	}

	if (!d.swap_mode && !d.reclaim_kb && !d.swappiness)
		return refuse(RefusalKind::empty, *seq,
			      "directive asks for nothing (no swap-mode, reclaim-kb or swappiness)");
	return d;
}

} // namespace memtune
