//===- ProcessGroup.cpp - A child process that ends when spcc is interrupted -===//
#include "compiler/support/ProcessGroup.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <iterator>
#include <mutex>
#include <spawn.h>
#include <sys/wait.h>
#include <vector>

extern char **environ;

namespace spcc {
namespace {

/// The signals that interrupt spcc (LLVM's handler removes its temporary files on each).
constexpr int kInterrupts[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

/// The child's process group while it runs (0: none), for the handler.
std::atomic<pid_t> childGroup{0};
/// The handlers in place before runInOwnProcessGroup's, called after it; installed[i] is false
/// where spcc ignored the signal (a job started in the background), which it then still does.
struct sigaction previous[std::size(kInterrupts)];
bool installed[std::size(kInterrupts)];

/// Ends the child's group, then does what spcc did on the signal before: LLVM's handler removes
/// the temporaries and ends spcc by the signal. The group gets SIGTERM, so the driver and the
/// linker remove their own temporaries as well, and SIGCONT, as a shell ends a stopped job: a
/// stopped process would hold SIGTERM until continued.
void endChildGroupThenChain(int number, siginfo_t *info, void *context) {
  if (pid_t group = childGroup.load(); group > 0) {
    kill(-group, SIGTERM);
    kill(-group, SIGCONT);
  }
  for (size_t i = 0; i < std::size(kInterrupts); ++i) {
    if (kInterrupts[i] != number) continue;
    const struct sigaction &old = previous[i];
    if (old.sa_flags & SA_SIGINFO) return old.sa_sigaction(number, info, context);
    if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) return old.sa_handler(number);
    // The default action: ending spcc by the signal once this handler returns.
    std::signal(number, SIG_DFL);
    std::raise(number);
    return;
  }
}

/// Installs the handler for the time a child runs.
class InterruptForwarding {
public:
  InterruptForwarding() {
    struct sigaction action = {};
    action.sa_sigaction = endChildGroupThenChain;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < std::size(kInterrupts); ++i) {
      sigaction(kInterrupts[i], nullptr, &previous[i]);
      installed[i] = (previous[i].sa_flags & SA_SIGINFO) || previous[i].sa_handler != SIG_IGN;
      if (installed[i]) sigaction(kInterrupts[i], &action, nullptr);
    }
  }
  ~InterruptForwarding() {
    for (size_t i = 0; i < std::size(kInterrupts); ++i)
      if (installed[i]) sigaction(kInterrupts[i], &previous[i], nullptr);
  }
};

} // namespace

int runInOwnProcessGroup(llvm::ArrayRef<llvm::StringRef> args, llvm::StringRef stdoutPath,
                         llvm::StringRef stderrPath, std::string &message) {
  std::vector<std::string> strings(args.begin(), args.end());
  std::vector<char *> argv;
  for (std::string &s : strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::string outputs[] = {stdoutPath.empty() ? "/dev/null" : stdoutPath.str(),
                           stderrPath.empty() ? "/dev/null" : stderrPath.str()};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, outputs[0].c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  if (outputs[1] == outputs[0])
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  else
    posix_spawn_file_actions_addopen(&actions, 2, outputs[1].c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);

  // One child at a time: the handler and the handlers it chains to are process-wide.
  static std::mutex oneChild;
  std::lock_guard<std::mutex> lock(oneChild);
  InterruptForwarding forwarding;
  // The interrupts wait until the child's group is known; the child starts with them unblocked.
  sigset_t interrupts, unblocked;
  sigemptyset(&interrupts);
  for (int number : kInterrupts) sigaddset(&interrupts, number);
  pthread_sigmask(SIG_BLOCK, &interrupts, &unblocked);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setsigmask(&attributes, &unblocked);
  pid_t pid = 0;
  int spawned = posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(), environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned == 0) childGroup.store(pid);
  pthread_sigmask(SIG_SETMASK, &unblocked, nullptr);
  if (spawned != 0) {
    message = "cannot execute " + strings[0] + ": " + std::strerror(spawned);
    return -1;
  }

  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno == EINTR) continue;
    message = std::string("waiting for ") + strings[0] + ": " + std::strerror(errno);
    childGroup.store(0);
    return -1;
  }
  childGroup.store(0);
  if (WIFSIGNALED(status)) {
    message = strsignal(WTERMSIG(status));
    return -2;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace spcc
