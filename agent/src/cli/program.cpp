#include "cli/program.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

extern char **environ;

namespace memtune::cli {

io::Result<ProgramOutput> run_program(const std::vector<std::string> &argv)
{
	if (argv.empty())
		return io::Error{EINVAL, "run: no program"};
	int pipe_fds[2];
	if (pipe2(pipe_fds, O_CLOEXEC) != 0)
		return io::errno_error("pipe");

	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
	posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);

	std::vector<char *> args;
	for (const auto &arg : argv)
		args.push_back(const_cast<char *>(arg.c_str()));
	args.push_back(nullptr);

	pid_t pid;
	int spawned = posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
	posix_spawn_file_actions_destroy(&actions);
	close(pipe_fds[1]);
	if (spawned != 0) {
		close(pipe_fds[0]);
		return io::errno_error("run " + argv[0], spawned);
	}

	ProgramOutput result;
	char buf[4096];
	for (;;) {
		ssize_t got = read(pipe_fds[0], buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		if (result.output.size() < (1u << 20))
			result.output.append(buf, static_cast<std::size_t>(got));
	}
	close(pipe_fds[0]);

	int status = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return io::errno_error("wait for " + argv[0]);
	}
	if (WIFEXITED(status))
		result.exit_status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		result.exit_status = 128 + WTERMSIG(status);
	return result;
}

} // namespace memtune::cli
