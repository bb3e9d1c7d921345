// Runs the fuzz target over files and directories given on the command line, without libFuzzer:
// lets a g++ build exercise the harness on the seed corpus (ctest Fuzz.DirectiveCorpusReplay).
// Exits non-zero when no input was found, so an empty corpus cannot pass silently.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);

namespace {

bool run_file(const std::filesystem::path &path)
{
	std::ifstream file(path, std::ios::binary);
	if (!file)
		return false;
	const std::vector<char> bytes((std::istreambuf_iterator<char>(file)),
				      std::istreambuf_iterator<char>());
	LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t *>(bytes.data()), bytes.size());
	return true;
}

} // namespace

int main(int argc, char **argv)
{
	std::size_t inputs = 0;
	for (int i = 1; i < argc; i++) {
		const std::filesystem::path arg(argv[i]);
		if (std::filesystem::is_directory(arg)) {
			for (const auto &entry : std::filesystem::directory_iterator(arg))
				if (entry.is_regular_file() && run_file(entry.path()))
					inputs++;
		} else if (run_file(arg)) {
			inputs++;
		}
	}
	std::printf("replayed %zu inputs\n", inputs);
	return inputs > 0 ? 0 : 1;
}
