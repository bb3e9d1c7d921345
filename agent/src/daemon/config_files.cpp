#include "daemon/config_files.hpp"

#include <filesystem>
#include <vector>

#include "io/procfs.hpp"

namespace memtune::daemon {

io::Result<std::vector<ConfigSource>> read_config_sources(const std::string &main_path)
{
	std::vector<ConfigSource> sources;
	auto main_text = io::read_text_file(main_path);
	if (main_text)
		sources.push_back({main_path, std::move(*main_text)});
	else if (main_text.error().code == ENOENT)
		sources.push_back({main_path, ""});
	else
		return main_text.error();

	std::filesystem::path dropin_dir = main_path + ".d";
	std::vector<std::string> names;
	std::error_code ec;
	for (const auto &entry : std::filesystem::directory_iterator(dropin_dir, ec))
		names.push_back(entry.path().filename().string());
	if (ec && ec != std::errc::no_such_file_or_directory)
		return io::Error{ec.value(), "read " + dropin_dir.string() + ": " + ec.message()};
	for (const auto &name : order_dropins(names)) {
		auto path = (dropin_dir / name).string();
		auto text = io::read_text_file(path);
		if (!text)
			return text.error();
		sources.push_back({path, std::move(*text)});
	}
	return sources;
}

io::Result<Config> load_config(const std::string &main_path)
{
	auto sources = read_config_sources(main_path);
	if (!sources)
		return sources.error();
	auto config = parse_config(*sources);
	if (!config)
		return io::Error{EINVAL, config.error().message};
	return *config;
}

} // namespace memtune::daemon
