// `kith [--config FILE] COMMAND ...`. Commands other than `serve` open the
// same database the daemon uses (starting the embedded cluster only if it is
// not running already) and apply migrations first, so they always see the
// schema they were built for.
#include "kith/app/cli.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <iostream>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "kith/app/database.hpp"
#include "kith/app/serve.hpp"
#include "kith/core/log.hpp"
#include "kith/core/random.hpp"
#include "kith/db/users.hpp"

namespace kith::app {
namespace {

constexpr int kExitUsage = 2;
constexpr int kExitConfig = 78;  // EX_CONFIG from sysexits.h
constexpr int kMigrateWaitSeconds = 10;

constexpr const char* kUsage = R"(kith — an ActivityPub server

usage: kith [--config FILE] COMMAND

commands:
  serve                      run the server until SIGTERM
  migrate                    apply database migrations that are missing
  user add NAME [--admin] [--email EMAIL]
                             create a local user; the password is read from
                             standard input, or generated and printed once
  user list                  list local users
  version                    print the version
  help                       print this help

The configuration file is TOML (see kith.example.toml); KITH_CONFIG may name
it instead of --config, and KITH_<KEY> variables override its keys.
)";

struct Arguments {
  std::optional<std::string> config_file;
  std::vector<std::string> words;  // the command and its operands
  bool admin = false;
  std::string email;
};

// Returns nullopt (after printing why) on a usage error.
std::optional<Arguments> parse_arguments(int argc, char** argv) {
  Arguments args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* flag) -> std::optional<std::string> {
      if (i + 1 >= argc) {
        std::cerr << "kith: " << flag << " needs a value\n";
        return std::nullopt;
      }
      return std::string(argv[++i]);
    };
    if (arg == "--config" || arg == "-c") {
      auto v = value("--config");
      if (!v) return std::nullopt;
      args.config_file = *v;
    } else if (arg.starts_with("--config=")) {
      args.config_file = arg.substr(9);
    } else if (arg == "--email") {
      auto v = value("--email");
      if (!v) return std::nullopt;
      args.email = *v;
    } else if (arg == "--admin") {
      args.admin = true;
    } else if (arg == "--help" || arg == "-h") {
      args.words = {"help"};
      return args;
    } else if (arg.starts_with("-")) {
      std::cerr << "kith: unknown option " << arg << "\n";
      return std::nullopt;
    } else {
      args.words.push_back(arg);
    }
  }
  if (!args.config_file)
    if (const char* env = std::getenv("KITH_CONFIG"); env && *env) args.config_file = env;
  return args;
}

// The password for `user add`: the first line of standard input when it is
// not a terminal, else a generated one.
std::pair<std::string, bool> read_or_generate_password() {
  if (!isatty(STDIN_FILENO)) {
    std::string line;
    if (std::getline(std::cin, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) return {line, false};
    }
  }
  return {core::random_token(18), true};
}

// Runs `job` on a connection to the migrated database.
void with_database(const core::Config& config, const std::function<void(pqxx::connection&)>& job) {
  Database database = open_database(config);
  migrate(database.connection_string, kMigrateWaitSeconds);
  pqxx::connection connection(database.connection_string);
  job(connection);
}

int user_add(const core::Config& config, const Arguments& args) {
  if (args.words.size() != 3) {
    std::cerr << "usage: kith user add NAME [--admin] [--email EMAIL]\n";
    return kExitUsage;
  }
  auto [password, generated] = read_or_generate_password();
  db::NewLocalUser user{args.words[2], args.email, password, args.admin};
  int status = 0;
  with_database(config, [&](pqxx::connection& connection) {
    try {
      db::LocalUser created = db::create_local_user(connection, user, config.host);
      std::cout << "created " << (created.admin ? "admin " : "user ") << created.username << " <"
                << created.email << ">\n";
      if (generated) std::cout << "password: " << password << "\n";
    } catch (const db::InvalidUser& e) {
      std::cerr << "kith: cannot create user " << args.words[2] << ": " << e.what() << "\n";
      status = 1;
    }
  });
  return status;
}

int user_list(const core::Config& config) {
  with_database(config, [](pqxx::connection& connection) {
    std::cout << "username\temail\trole\tcreated_at\n";
    for (const db::LocalUser& user : db::list_local_users(connection))
      std::cout << user.username << '\t' << user.email << '\t' << (user.admin ? "admin" : "user")
                << '\t' << user.created_at << '\n';
  });
  return 0;
}

int migrate_command(const core::Config& config) {
  Database database = open_database(config);
  db::MigrationReport report = migrate(database.connection_string, kMigrateWaitSeconds);
  if (report.applied.empty())
    std::cout << "schema is up to date (version " << report.current_version << ")\n";
  else
    std::cout << "applied " << report.applied.size() << " migration(s); schema version "
              << report.current_version << "\n";
  return 0;
}

}  // namespace

int run_command_line(int argc, char** argv) {
  auto args = parse_arguments(argc, argv);
  if (!args) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  const std::vector<std::string>& words = args->words;
  const std::string command = words.empty() ? "help" : words[0];
  if (command == "help") {
    std::cout << kUsage;
    return words.empty() && argc > 1 ? kExitUsage : 0;
  }
  if (command == "version") {
    std::cout << "kith " << KITH_VERSION << "\n";
    return 0;
  }
  const bool known =
      command == "serve" || command == "migrate" ||
      (command == "user" && words.size() >= 2 && (words[1] == "add" || words[1] == "list"));
  if (!known) {
    std::cerr << "kith: unknown command: " << command << "\n" << kUsage;
    return kExitUsage;
  }

  core::Config config;
  try {
    std::optional<std::filesystem::path> file;
    if (args->config_file) file = *args->config_file;
    config = core::load_config(file, core::process_environment());
    // The CLI commands log only warnings, so that their output stays clean.
    core::init_logging(command == "serve" ? config.log_level : "warn");
  } catch (const core::ConfigError& e) {
    std::cerr << "config: " << e.what() << "\n";
    return kExitConfig;
  }

  try {
    if (command == "serve") return serve(config);
    if (command == "migrate") return migrate_command(config);
    if (words[1] == "add") return user_add(config, *args);
    if (words.size() != 2) {
      std::cerr << "usage: kith user list\n";
      return kExitUsage;
    }
    return user_list(config);
  } catch (const std::exception& e) {
    std::cerr << "kith: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace kith::app
