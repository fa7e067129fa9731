// The embedded cluster's life: find PostgreSQL's binaries, initdb once, write
// kith's small-footprint settings, start with pg_ctl, create the database,
// and stop with pg_ctl. PostgreSQL's programs run as child processes (never
// through a shell); as root they run as an unprivileged user.
//
// Layout under <data_dir>/postgres:
//   data/        the cluster (PGDATA)
//   run/         the unix socket and its lock file (mode 0700)
//   server.log   PostgreSQL's log
#include "kith/db/embedded_postgres.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <pqxx/pqxx>
#include <stdexcept>
#include <vector>

namespace kith::db {

namespace fs = std::filesystem;

namespace {

// sockaddr_un holds 108 bytes; the socket's name is "<run>/.s.PGSQL.5432".
constexpr std::size_t kMaxSocketDirLength = 90;
constexpr int kStartTimeoutSeconds = 60;

struct RunAs {
  uid_t uid;
  gid_t gid;
  std::string name;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `argv` (argv[0] is a path), optionally as another user and in a new
// session (so that a terminal's Ctrl-C reaches kith, which then stops the
// cluster in order, rather than the postmaster directly). Output is
// and returned (the first 64 KiB).
CommandResult run_command(const std::vector<std::string>& argv, const std::optional<RunAs>& user,
                          bool new_session) {
  std::vector<char*> args;
  for (auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  // PostgreSQL is linked with libsystemd: with kith's NOTIFY_SOCKET it would
  // report READY=1 and STOPPING=1 as if it were the service.
  std::vector<char*> env;
  for (char** entry = environ; *entry; ++entry) {
    const std::string_view name(*entry);
    if (name.starts_with("NOTIFY_SOCKET=") || name.starts_with("WATCHDOG_") ||
        name.starts_with("LISTEN_"))
      continue;
    env.push_back(*entry);
  }
  env.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe: " + std::string(strerror(errno)));
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork: " + std::string(strerror(errno)));
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    if (new_session) setsid();
    if (user) {
      if (setgroups(0, nullptr) != 0 || setgid(user->gid) != 0 || setuid(user->uid) != 0)
        _exit(126);
    }
    if (chdir("/") != 0) _exit(126);
    execve(args[0], args.data(), env.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  CommandResult result;
  std::array<char, 4096> chunk;
  while (true) {
    ssize_t n = read(pipe_fds[0], chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (result.output.size() < 64 * 1024)
      result.output.append(chunk.data(), static_cast<std::size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

// The binaries: the configured directory, else Debian's directory for the
// cluster's own major version (a newer one cannot run an older cluster),
// else the newest installed.
fs::path find_bin_dir(const std::string& configured, const fs::path& data) {
  if (!configured.empty()) {
    if (!fs::exists(fs::path(configured) / "initdb"))
      throw std::runtime_error("embedded_postgres.bin_dir: no initdb in " + configured);
    return configured;
  }
  // Debian puts each major version under /usr/lib/postgresql/<major>/bin.
  std::ifstream version_file(data / "PG_VERSION");
  std::string major;
  if (version_file >> major) {
    const fs::path own = fs::path("/usr/lib/postgresql") / major / "bin";
    if (fs::exists(own / "postgres")) return own;
    throw std::runtime_error("the embedded cluster in " + data.string() + " is PostgreSQL " +
                             major + ", whose server is not installed (Debian: postgresql-" +
                             major + ")");
  }
  std::vector<fs::path> candidates;
  std::error_code ec;
  for (auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    if (fs::exists(entry.path() / "bin" / "initdb")) candidates.push_back(entry.path() / "bin");
  }
  if (candidates.empty()) {
    for (const char* dir : {"/usr/local/pgsql/bin", "/usr/bin", "/usr/local/bin"}) {
      if (fs::exists(fs::path(dir) / "initdb")) return dir;
    }
    throw std::runtime_error(
        "no PostgreSQL server found (install Debian's postgresql package, or set database_url)");
  }
  std::sort(candidates.begin(), candidates.end(), [](const fs::path& a, const fs::path& b) {
    auto major = [](const fs::path& p) { return std::atoi(p.parent_path().filename().c_str()); };
    return major(a) < major(b);
  });
  return candidates.back();
}

// PostgreSQL refuses to run as root. Root runs an existing cluster as its
// owner (e.g. the `kith` user of the systemd unit, so that `kith user add`
// run by root does not take the cluster away from the service), and a new
// one as `postgres` (Debian's server package creates it) or else `nobody`.
std::optional<RunAs> unprivileged_user(const fs::path& data) {
  if (geteuid() != 0) return std::nullopt;
  struct stat info {};
  if (stat(data.c_str(), &info) == 0 && info.st_uid != 0) {
    const passwd* owner = getpwuid(info.st_uid);
    return RunAs{info.st_uid, info.st_gid, owner ? owner->pw_name : std::to_string(info.st_uid)};
  }
  for (const char* name : {"postgres", "nobody"}) {
    if (const passwd* entry = getpwnam(name)) return RunAs{entry->pw_uid, entry->pw_gid, name};
  }
  throw std::runtime_error("running as root, and neither a 'postgres' nor a 'nobody' user exists");
}

// The unprivileged user must be able to reach its directory: every ancestor
// needs the search bit for "others" (or must be owned by that user).
void check_reachable(const fs::path& dir, const RunAs& user) {
  for (fs::path p = dir.parent_path(); !p.empty(); p = p.parent_path()) {
    struct stat info {};
    if (stat(p.c_str(), &info) == 0 && info.st_uid != user.uid && !(info.st_mode & S_IXOTH))
      throw std::runtime_error("data_dir: the '" + user.name + "' user that runs the embedded " +
                               "PostgreSQL cannot enter " + p.string() +
                               "; choose a data_dir outside it, or `chmod o+x " + p.string() + "`");
    if (p == p.root_path()) break;
  }
}

// Creates `dir` (and the missing directories between it and `base`) owned
// by `user`; `base` itself belongs to kith.
void create_owned_directories(const fs::path& base, const fs::path& dir,
                              const std::optional<RunAs>& user) {
  if (fs::exists(dir)) return;
  if (dir != base) create_owned_directories(base, dir.parent_path(), user);
  fs::create_directories(dir);
  if (user && dir != base && lchown(dir.c_str(), user->uid, user->gid) != 0)
    throw std::runtime_error("chown " + dir.string() + ": " + strerror(errno));
}

void chown_tree(const fs::path& root, const RunAs& user) {
  if (lchown(root.c_str(), user.uid, user.gid) != 0)
    throw std::runtime_error("chown " + root.string() + ": " + strerror(errno));
  for (auto& entry : fs::recursive_directory_iterator(root)) {
    if (lchown(entry.path().c_str(), user.uid, user.gid) != 0)
      throw std::runtime_error("chown " + entry.path().string() + ": " + strerror(errno));
  }
}

// Settings kith owns; rewritten at every start, so a changed configuration
// takes effect. Small on purpose: PostgreSQL's memory counts against kith.
std::string settings(const EmbeddedPostgresOptions& options, const fs::path& run_dir) {
  std::string text =
      "# Written by kith at every start; edit kith's configuration instead.\n"
      "listen_addresses = ''\n"
      "unix_socket_directories = '" +
      run_dir.string() +
      "'\n"
      "unix_socket_permissions = 0700\n"
      "shared_buffers = '" +
      options.shared_buffers +
      "'\n"
      "max_connections = " +
      std::to_string(options.max_connections) +
      "\n"
      "max_worker_processes = 2\n"
      "max_parallel_workers = 0\n"
      "max_parallel_workers_per_gather = 0\n"
      "max_parallel_maintenance_workers = 0\n"
      "autovacuum_max_workers = 1\n"
      "wal_level = minimal\n"
      "max_wal_senders = 0\n"
      "max_wal_size = '256MB'\n"
      "work_mem = '2MB'\n"
      "maintenance_work_mem = '16MB'\n"
      "huge_pages = off\n"
      "jit = off\n"
      "log_min_messages = warning\n";
  return text;
}

}  // namespace

EmbeddedPostgres::EmbeddedPostgres(EmbeddedPostgresOptions options) : options_(std::move(options)) {
  const fs::path root = fs::absolute(options_.data_dir) / "postgres";
  const fs::path data = root / "data";
  const fs::path run_dir = root / "run";
  const fs::path log_file = root / "server.log";
  if (run_dir.string().size() > kMaxSocketDirLength)
    throw std::runtime_error(
        "data_dir: path too long for a unix socket (" + std::to_string(run_dir.string().size()) +
        " > " + std::to_string(kMaxSocketDirLength) + " characters): " + run_dir.string());
  const fs::path bin = find_bin_dir(options_.bin_dir, data);
  const std::optional<RunAs> user = unprivileged_user(data);

  // Checked before anything is created, so that a refused start leaves
  // nothing behind owned by the wrong user.
  if (user) check_reachable(root, *user);
  create_owned_directories(root.parent_path(), run_dir, user);
  fs::permissions(root, fs::perms::owner_all, fs::perm_options::replace);
  fs::permissions(run_dir, fs::perms::owner_all, fs::perm_options::replace);
  // A start that failed before initdb may have left these owned by root.
  if (user && !fs::exists(data)) chown_tree(root, *user);

  auto run = [&](std::vector<std::string> argv, bool new_session = false) {
    CommandResult result = run_command(argv, user, new_session);
    if (result.exit_code != 0) {
      throw std::runtime_error(fs::path(argv[0]).filename().string() + " failed (exit " +
                               std::to_string(result.exit_code) + "): " + result.output +
                               " [log: " + log_file.string() + "]");
    }
    return result;
  };

  if (!fs::exists(data / "PG_VERSION")) {
    spdlog::info("embedded PostgreSQL: initialising a cluster in {}", data.string());
    run({(bin / "initdb").string(), "--pgdata=" + data.string(), "--username=kith", "--auth=trust",
         "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"});
    std::ofstream conf(data / "postgresql.conf", std::ios::app);
    conf << "\ninclude_if_exists = 'kith.conf'\n";
  }
  {
    std::ofstream conf(data / "kith.conf", std::ios::trunc);
    conf << settings(options_, run_dir);
    if (!conf) throw std::runtime_error("cannot write " + (data / "kith.conf").string());
  }
  if (user && lchown((data / "kith.conf").c_str(), user->uid, user->gid) != 0)
    throw std::runtime_error("chown kith.conf: " + std::string(strerror(errno)));

  connection_string_ = "host=" + run_dir.string() + " port=5432 user=kith dbname=kith";

  // A cluster already running here was started by another kith command
  // (or survived a crash); use it and leave it running.
  const bool running =
      run_command({(bin / "pg_ctl").string(), "status", "-D", data.string()}, user, false)
          .exit_code == 0;
  if (!running) {
    spdlog::info("embedded PostgreSQL: starting (log: {})", log_file.string());
    run({(bin / "pg_ctl").string(), "start", "-D", data.string(), "-l", log_file.string(), "-w",
         "-t", std::to_string(kStartTimeoutSeconds), "-s"},
        true);
    started_here_ = true;
  }
  bin_dir_ = bin;
  data_path_ = data;
  run_as_ = user ? std::optional<std::pair<uid_t, gid_t>>({user->uid, user->gid}) : std::nullopt;

  pqxx::connection admin("host=" + run_dir.string() + " port=5432 user=kith dbname=postgres");
  pqxx::nontransaction tx(admin);
  if (tx.exec("SELECT 1 FROM pg_database WHERE datname = 'kith'").empty()) {
    tx.exec("CREATE DATABASE kith");
    spdlog::info("embedded PostgreSQL: created database kith");
  }
}

EmbeddedPostgres::~EmbeddedPostgres() {
  try {
    stop();
  } catch (const std::exception& e) {
    spdlog::error("embedded PostgreSQL: stop failed: {}", e.what());
  }
}

void EmbeddedPostgres::stop() {
  if (!started_here_) return;
  started_here_ = false;
  std::optional<RunAs> user;
  if (run_as_) user = RunAs{run_as_->first, run_as_->second, ""};
  CommandResult result = run_command(
      {(bin_dir_ / "pg_ctl").string(), "stop", "-D", data_path_.string(), "-m", "fast", "-w", "-s"},
      user, false);
  if (result.exit_code != 0) throw std::runtime_error("pg_ctl stop failed: " + result.output);
  spdlog::info("embedded PostgreSQL: stopped");
}

}  // namespace kith::db
