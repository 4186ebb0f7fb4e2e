#include "support/helpers.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "builtin/builtin_spec.hpp"
#include "checker.gen.hpp"

extern char** environ;

namespace vcpuspec::test {

namespace {
bool g_update = false;
}

std::string source_dir() { return VCPUSPEC_SOURCE_DIR; }

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string cur; std::getline(in, cur, sep);) out.push_back(cur);
  return out;
}

std::string write_temp_file(const std::string& name, const std::string& text) {
  std::string path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

void set_update_goldens(bool on) { g_update = on; }
bool update_goldens() { return g_update; }

bool match_golden(const std::string& path, const std::string& actual, std::string& diff) {
  if (g_update) {
    std::ofstream out(path, std::ios::binary);
    out << actual;
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diff = "missing golden file " + path + " (run the tests with --update, then review it)";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string expected = ss.str();
  if (expected == actual) return true;
  std::istringstream a(expected), b(actual);
  std::string la, lb;
  for (int line = 1;; ++line) {
    bool ea = !std::getline(a, la), eb = !std::getline(b, lb);
    if (ea && eb) break;
    if (ea || eb || la != lb) {
      diff = path + ":" + std::to_string(line) + ":\n  expected: " + (ea ? "<end>" : la) + "\n  actual:   " +
             (eb ? "<end>" : lb);
      return false;
    }
  }
  diff = path + ": differs";
  return false;
}

RunResult run_program(const std::string& program, const std::vector<std::string>& args,
                      const std::string& stdin_text) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe(in_pipe) || pipe(out_pipe) || pipe(err_pipe)) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
    posix_spawn_file_actions_addclose(&fa, fd);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::string cwd = source_dir();
  posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  pid_t pid;
  int rc = posix_spawn(&pid, program.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) throw std::runtime_error("cannot run " + program + ": " + std::strerror(rc));
  RunResult r;
  // Feed stdin and drain stdout/stderr together so no pipe fills up.
  size_t written = 0;
  if (stdin_text.empty()) {
    close(in_pipe[1]);
    in_pipe[1] = -1;
  }
  fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
  // Non-blocking stdin too: a large input written in one blocking write
  // would wait for the child while the child waits for us to drain stdout.
  if (in_pipe[1] >= 0) fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    struct pollfd fds[3];
    int n = 0;
    if (out_open) fds[n++] = {out_pipe[0], POLLIN, 0};
    if (err_open) fds[n++] = {err_pipe[0], POLLIN, 0};
    if (in_pipe[1] >= 0) fds[n++] = {in_pipe[1], POLLOUT, 0};
    // A command may print nothing for minutes (lint under ASan runs ~500 Z3
    // queries first): ctest's own timeout (tests/CMakeLists.txt) bounds a
    // test, this only stops a child that hangs silent for 10 minutes.
    if (poll(fds, static_cast<nfds_t>(n), 600000) <= 0) break;
    for (int i = 0; i < n; ++i) {
      if (fds[i].fd == in_pipe[1] && (fds[i].revents & (POLLOUT | POLLERR | POLLHUP))) {
        ssize_t w = write(in_pipe[1], stdin_text.data() + written, stdin_text.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if ((w < 0 && errno != EAGAIN) || written == stdin_text.size()) {
          close(in_pipe[1]);
          in_pipe[1] = -1;
        }
        continue;
      }
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got > 0) (fds[i].fd == out_pipe[0] ? r.out : r.err).append(buf, static_cast<size_t>(got));
      else if (got == 0 || errno != EAGAIN) (fds[i].fd == out_pipe[0] ? out_open : err_open) = false;
    }
  }
  if (in_pipe[1] >= 0) close(in_pipe[1]);
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

RunResult run_cli(const std::vector<std::string>& args, const std::string& stdin_text) {
  return run_program(VCPUSPEC_BINARY, args, stdin_text);
}

const front::LoadedSpec& builtin_spec() { return builtin::spec(); }

readers::Slots slots() { return readers::Slots(generated::kSlots, generated::kNumSlots); }

readers::StateInput full_input() {
  readers::StateInput in;
  in.state = rt::State(generated::kNumSlots);
  in.origin.assign(generated::kNumSlots, readers::Origin::Given);
  for (size_t i = 0; i < generated::kNumSlots; ++i) in.state.set(i, 0);
  return in;
}

}  // namespace vcpuspec::test
