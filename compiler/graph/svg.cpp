// SVG through Graphviz: runs `dot -Tsvg`, feeding it the DOT text and reading the SVG, with poll()
// so that neither side blocks on a full pipe.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "graph/render.h"

extern char** environ;

namespace fence::graph {

namespace {

bool executable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

struct Pipe {
  int fd[2] = {-1, -1};
  bool open() { return ::pipe2(fd, O_CLOEXEC) == 0; }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
  ~Pipe() {
    close_end(0);
    close_end(1);
  }
};

}  // namespace

std::optional<std::string> find_dot() {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    auto colon = dirs.find(':', start);
    if (colon == std::string::npos) colon = dirs.size();
    // An empty entry is the current directory.
    std::string candidate = colon == start ? std::string("./dot") : dirs.substr(start, colon - start) + "/dot";
    if (executable(candidate)) return candidate;
    start = colon + 1;
  }
  return std::nullopt;
}

SvgResult render_svg(const std::string& dot_path, const std::string& dot) {
  SvgResult r;
  Pipe in, out, err;
  if (!in.open() || !out.open() || !err.open()) {
    r.error = fmt::format("cannot run {}: {}", dot_path, std::strerror(errno));
    return r;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.fd[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], 2);
  std::string arg0 = dot_path;
  std::string arg1 = "-Tsvg";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, dot_path.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    r.error = fmt::format("cannot run {}: {}", dot_path, std::strerror(rc));
    return r;
  }
  in.close_end(0);
  out.close_end(1);
  err.close_end(1);
  ::fcntl(in.fd[1], F_SETFL, O_NONBLOCK);
  // dot may exit before it has read everything: a write then fails with EPIPE instead of killing
  // Fence with SIGPIPE (blocked in this thread, and any pending one discarded below).
  sigset_t pipe_only, before;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &before);
  std::size_t written = 0;
  std::string errors;
  char buf[65536];
  while (out.fd[0] >= 0 || err.fd[0] >= 0) {
    pollfd fds[3];
    nfds_t n = 0;
    int which[3];
    if (in.fd[1] >= 0) {
      fds[n] = {in.fd[1], POLLOUT, 0};
      which[n++] = 0;
    }
    if (out.fd[0] >= 0) {
      fds[n] = {out.fd[0], POLLIN, 0};
      which[n++] = 1;
    }
    if (err.fd[0] >= 0) {
      fds[n] = {err.fd[0], POLLIN, 0};
      which[n++] = 2;
    }
    if (::poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (which[i] == 0) {
        auto w = ::write(in.fd[1], dot.data() + written, dot.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == dot.size()) in.close_end(1);
        continue;
      }
      auto& p = which[i] == 1 ? out : err;
      auto got = ::read(p.fd[0], buf, sizeof buf);
      if (got > 0) {
        (which[i] == 1 ? r.svg : errors).append(buf, static_cast<std::size_t>(got));
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        p.close_end(0);
      }
    }
  }
  in.close_end(1);
  sigset_t pending;
  sigpending(&pending);
  if (sigismember(&pending, SIGPIPE) == 1 && sigismember(&before, SIGPIPE) == 0) {
    timespec zero{0, 0};
    sigtimedwait(&pipe_only, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!ok || written != dot.size()) {
    while (!errors.empty() && (errors.back() == '\n' || errors.back() == '\r')) errors.pop_back();
    std::string how = WIFEXITED(status) ? fmt::format("exited {}", WEXITSTATUS(status)) : fmt::format("was killed by signal {}", WTERMSIG(status));
    r.error = fmt::format("{} -Tsvg {}{}", dot_path, how, errors.empty() ? std::string() : ": " + errors);
    r.svg.clear();
  }
  return r;
}

}  // namespace fence::graph
