// sagerun server: serves the SageMaker training-job API, the CloudWatch Logs API for the jobs'
// logs and the CloudWatch API for their metrics on this machine (docs/api.md), and the dashboard
// on the same port, over the store `sagerun local` uses too, running the jobs with the local
// runner. Prints the endpoint on stdout once it listens (and the dashboard's link with its token
// on stderr); SIGTERM or SIGINT stops it within about a second (running jobs go on in their
// runners, and the next server on the same store takes them over).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "aws/crypto.hpp"
#include "aws/curl/session.hpp"
#include "cli/aws_context.hpp"
#include "cli/command_table.hpp"
#include "cli/local_runner.hpp"
#include "server/server.hpp"
#include "store/store.hpp"
#include "util/environment.hpp"
#include "util/files.hpp"
#include "util/text.hpp"

namespace sagerun::cli {
namespace {

struct ServerFlags {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string state_dir;
  int max_instances = 0;
  RunnerFlags runner; // --runtime, --docker: as `sagerun local` takes them
  std::optional<std::string> access_key, secret_key, secret_key_file;
  bool jobs_get_api_key = false;
  std::optional<std::string> s3_endpoint;
  std::optional<std::string> region, profile;
  bool allow_local_uris = false;
  int threads = 4;
  int idle_timeout = 60;
  bool no_dashboard = false;
};

constexpr const char* k_dashboard_token_variable = "SAGERUN_DASHBOARD_TOKEN";

// The dashboard's access token: SAGERUN_DASHBOARD_TOKEN (a link that lasts across restarts),
// else a new random one.
Expected<std::string> dashboard_token(const util::EnvMap& env) {
  if (auto given = util::lookup_nonempty(env, k_dashboard_token_variable)) {
    const bool plain = std::ranges::all_of(*given, [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
    if (given->size() < 16 || given->size() > 128 || !plain) {
      return util::fail(util::ErrorKind::invalid_input,
                        std::string(k_dashboard_token_variable) +
                            ": give 16 to 128 letters, digits, '-' or '_' (or unset it for a new token each start)");
    }
    return *given;
  }
  auto token = aws::random_hex(24);
  if (!token) return util::fail(util::ErrorKind::io, "cannot draw the dashboard's access token from the system");
  return *token;
}

// The secret of --access-key: from --secret-key-file, else SAGERUN_SERVER_SECRET_KEY; never from
// argv, which every user of the machine can read.
Expected<std::string> api_secret(const ServerFlags& flags, const util::EnvMap& env) {
  if (flags.secret_key) {
    return util::fail(util::ErrorKind::invalid_input,
                      "--secret-key would put the secret in the process list, which every user of this machine can "
                      "read: write it to a file only you can read and give --secret-key-file FILE (or set "
                      "SAGERUN_SERVER_SECRET_KEY)");
  }
  if (flags.secret_key_file) {
    auto text = util::read_file(*flags.secret_key_file);
    if (!text) return util::fail(text.error().kind, "--secret-key-file: " + text.error().message);
    std::string secret(util::trim(*text));
    if (secret.empty()) return util::fail(util::ErrorKind::invalid_input, "--secret-key-file: the file is empty");
    return secret;
  }
  if (auto secret = util::lookup_nonempty(env, "SAGERUN_SERVER_SECRET_KEY")) return *secret;
  return util::fail(util::ErrorKind::invalid_input,
                    "--access-key needs its secret: --secret-key-file FILE, or SAGERUN_SERVER_SECRET_KEY");
}

// The keys requests must be signed with: the flags, else the credentials this server was
// started with (the AWS CLI's chain).
Expected<aws::Credentials> accepted_key(const ServerFlags& flags, const util::EnvMap& env, aws::Session& session) {
  if (flags.access_key || flags.secret_key || flags.secret_key_file) {
    if (!flags.access_key || flags.access_key->empty())
      return util::fail(util::ErrorKind::invalid_input, "--secret-key-file goes with --access-key");
    auto secret = api_secret(flags, env);
    if (!secret) return std::unexpected(secret.error());
    return aws::Credentials{*flags.access_key, *secret, ""};
  }
  auto resolved = session.provider().get();
  if (!resolved) {
    return util::fail(resolved.error().kind, "no access key for clients to sign with: give --access-key and "
                                             "--secret-key, or configure AWS credentials (" +
                                                 resolved.error().message + ")");
  }
  return *resolved;
}

int wait_for_stop_signal() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal : {SIGINT, SIGTERM, SIGHUP})
    sigaddset(&set, signal);
  int received = 0;
  while (sigwait(&set, &received) != 0) {
  }
  return received;
}

} // namespace

int cmd_server(Invocation& invocation) {
  auto& app = invocation.app();
  ServerFlags flags;
  app.add_option("--host", flags.host, "the address to listen on (default 127.0.0.1: this machine only)");
  app.add_option("--port", flags.port, "the port (default 8080; 0: any free port)")->check(CLI::Range(0, 65535));
  app.add_option("--state-dir", flags.state_dir,
                 "the store of jobs (default $SAGERUN_HOME, else ~/.sagerun: the store `sagerun local` uses too); "
                 "a store of an earlier server is carried over");
  app.add_option("--max-instances", flags.max_instances,
                 "instances running at once; more jobs wait as Pending (default: the number of cores)")
      ->check(CLI::Range(1, 100000));
  add_runner_flags(app, flags.runner);
  app.add_option("--access-key", flags.access_key,
                 "the access key clients sign with (default: this server's own AWS credentials)");
  app.add_option("--secret-key-file", flags.secret_key_file,
                 "a file holding its secret key (or set SAGERUN_SERVER_SECRET_KEY)");
  app.add_option("--secret-key", flags.secret_key, "refused: it would show the secret in the process list")->group("");
  app.add_flag("--jobs-get-api-key", flags.jobs_get_api_key,
               "serve jobs the server's credentials even when they are the key clients sign with (any job could "
               "then create or stop jobs)");
  app.add_option("--s3-endpoint-url", flags.s3_endpoint,
                 "the S3 endpoint jobs read and write (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, or AWS)");
  app.add_option("--region", flags.region, "the region in ARNs and for the jobs' S3 (default: the AWS CLI's)");
  app.add_option("--profile", flags.profile, "the AWS profile for the server's credentials and the jobs'");
  app.add_flag("--allow-local-uris", flags.allow_local_uris,
               "also take file:// and absolute paths as job inputs and outputs (the service takes s3:// only)");
  app.add_option("--threads", flags.threads, "threads answering requests (an open connection costs none)")
      ->check(CLI::Range(1, 256));
  app.add_option("--idle-timeout", flags.idle_timeout,
                 "seconds a keep-alive connection may wait for its next request (60; keep it above a load "
                 "balancer's own idle timeout)")
      ->check(CLI::Range(1, 3600));
  app.add_flag("--no-dashboard", flags.no_dashboard, "serve the APIs only, no dashboard");
  if (auto done = invocation.parse()) return *done;

  // Before any thread starts: the stop signals are taken by sigwait below, and a client that
  // hangs up must not kill the server.
  sigset_t stops;
  sigemptyset(&stops);
  for (int signal : {SIGINT, SIGTERM, SIGHUP})
    sigaddset(&stops, signal);
  pthread_sigmask(SIG_BLOCK, &stops, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  const auto& env = invocation.env();
  aws::Session session(env, flags.profile);
  auto key = accepted_key(flags, env, session);
  if (!key) return report(key.error());
  // The jobs get the server's own credentials (through their runner's endpoint): never the key
  // that signs the API, unless the user says so.
  const auto jobs_key = session.provider().get();
  const bool same_key = jobs_key && jobs_key->access_key_id == key->access_key_id;
  const bool job_credentials = !same_key || flags.jobs_get_api_key;
  if (!job_credentials) {
    std::fprintf(stderr,
                 "sagerun: server: jobs get no AWS credentials: this server's own are the key clients sign with. "
                 "Give clients a key of their own (--access-key with --secret-key-file), or --jobs-get-api-key\n");
  }

  server::ServerOptions options;
  options.host = flags.host;
  options.port = flags.port;
  options.store_root = flags.state_dir.empty() ? store::default_root(env) : std::filesystem::path(flags.state_dir);
  options.store_root = std::filesystem::absolute(options.store_root).lexically_normal();
  options.env = env;
  options.env.erase("SAGERUN_SERVER_SECRET_KEY"); // the runners, and so the jobs, never see it
  options.env.erase(k_dashboard_token_variable);
  if (!flags.no_dashboard) {
    auto token = dashboard_token(env);
    if (!token) return report(token.error());
    options.dashboard_token = std::move(*token);
  }
  options.max_instances = flags.max_instances > 0 ? flags.max_instances
                                                  : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  options.keys = {*key};
  auto region = aws::resolve_region(env, flags.region, flags.profile);
  options.region = region ? *region : "us-east-1";
  options.uri_policy = flags.allow_local_uris ? job::UriPolicy::local : job::UriPolicy::sagemaker;
  options.threads = flags.threads;
  options.http.idle = std::chrono::seconds(flags.idle_timeout);
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return report({util::ErrorKind::io, "cannot find this program (/proc/self/exe): " + error.message()});
  options.runner.sagerun = self.string();
  options.runner.runtime = flags.runner.runtime;
  options.runner.machine_cpus = flags.runner.machine_cpus;
  options.runner.machine_memory_gib = flags.runner.machine_memory_gib;
  options.runner.machine_gpus = flags.runner.machine_gpus;
  options.machine = runner::machine_with(runner::detect_machine(), flags.runner.machine_cpus,
                                         flags.runner.machine_memory_gib, flags.runner.machine_gpus);
  options.runner.docker = flags.runner.docker;
  // The spot rehearsal applies to the spot jobs only (the runner asks); others run as asked.
  options.runner.interrupt_after = flags.runner.interrupt_after.value_or(0);
  options.runner.interruptions = flags.runner.interruptions;
  options.runner.s3_endpoint = flags.s3_endpoint.value_or("");
  options.runner.region = options.region;
  options.runner.profile = flags.profile.value_or("");
  options.runner.job_credentials = job_credentials;
  if (flags.secret_key_file)
    options.runner.hidden.push_back(std::filesystem::absolute(*flags.secret_key_file).lexically_normal());

  auto server = server::Server::start(options);
  if (!server) return report(server.error());
  std::fprintf(stderr,
               "sagerun: server: SageMaker, CloudWatch Logs and CloudWatch metrics APIs on %s (region %s), state in "
               "%s, at most %d "
               "instance%s at once on %s CPUs, %s and %zu GPU%s, %s runtime; requests must be signed with access key "
               "%s\n",
               (*server)->endpoint().c_str(), options.region.c_str(), options.store_root.c_str(), options.max_instances,
               options.max_instances == 1 ? "" : "s", runner::cpus_text(options.machine.cpus).c_str(),
               runner::memory_text(options.machine.memory_bytes).c_str(), options.machine.gpus.size(),
               options.machine.gpus.size() == 1 ? "" : "s", flags.runner.runtime.c_str(), key->access_key_id.c_str());
  const std::string dashboard = (*server)->dashboard_url();
  if (!dashboard.empty()) std::fprintf(stderr, "sagerun: server: dashboard at %s\n", dashboard.c_str());
  if (invocation.flags().output == Output::json) {
    nlohmann::json started{{"Endpoint", (*server)->endpoint()}};
    if (!dashboard.empty()) started["Dashboard"] = dashboard;
    std::printf("%s\n", started.dump().c_str());
  } else {
    std::printf("%s\n", (*server)->endpoint().c_str());
  }
  std::fflush(stdout);
  const int signal = wait_for_stop_signal();
  std::fprintf(stderr, "sagerun: server: %s, stopping (running jobs go on; a restart takes them over)\n",
               strsignal(signal));
  (*server)->stop();
  return k_exit_ok;
}

} // namespace sagerun::cli
