// Running the toolstack (xl) from memtunectl: argv only, never a shell.
#pragma once

#include <string>
#include <vector>

#include "io/result.hpp"

namespace memtune::cli {

struct ProgramOutput {
	int exit_status = -1; // the program's exit status; 128+N when killed by signal N
	std::string output;   // stdout and stderr, interleaved
};

// Runs argv[0] (searched in PATH when it has no '/') and collects what it prints.
// Fails only when it cannot be started.
io::Result<ProgramOutput> run_program(const std::vector<std::string> &argv);

} // namespace memtune::cli
