// sagerun server: serves the SageMaker training-job API and the CloudWatch Logs API for the
// jobs' logs on this machine (docs/api.md), over the store `sagerun local` uses too, running the
// jobs with the local runner. Prints the endpoint on stdout once it listens; SIGTERM or SIGINT
// stops it within about a second (running jobs go on in their runners, and the next server on
// the same store takes them over).
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <thread>

#include "aws/curl/session.hpp"
#include "cli/aws_context.hpp"
#include "cli/command_table.hpp"
#include "cli/local_runner.hpp"
#include "server/server.hpp"
#include "store/store.hpp"

namespace sagerun::cli {
namespace {

struct ServerFlags {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string state_dir;
  int max_instances = 0;
  RunnerFlags runner; // --runtime, --docker: as `sagerun local` takes them
  std::optional<std::string> access_key, secret_key;
  std::optional<std::string> s3_endpoint;
  std::optional<std::string> region, profile;
  bool allow_local_uris = false;
  int threads = 64;
};

// The keys requests must be signed with: the flags, else the credentials this server was
// started with (the AWS CLI's chain).
Expected<aws::Credentials> accepted_key(const ServerFlags& flags, const util::EnvMap& env) {
  if (flags.access_key || flags.secret_key) {
    if (!flags.access_key || !flags.secret_key || flags.access_key->empty() || flags.secret_key->empty()) {
      return util::fail(util::ErrorKind::invalid_input, "--access-key and --secret-key go together");
    }
    return aws::Credentials{*flags.access_key, *flags.secret_key, ""};
  }
  aws::Session session(env, flags.profile);
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
  app.add_option("--secret-key", flags.secret_key, "its secret key");
  app.add_option("--s3-endpoint-url", flags.s3_endpoint,
                 "the S3 endpoint jobs read and write (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, or AWS)");
  app.add_option("--region", flags.region, "the region in ARNs and for the jobs' S3 (default: the AWS CLI's)");
  app.add_option("--profile", flags.profile, "the AWS profile for the server's credentials and the jobs'");
  app.add_flag("--allow-local-uris", flags.allow_local_uris,
               "also take file:// and absolute paths as job inputs and outputs (the service takes s3:// only)");
  app.add_option("--threads", flags.threads, "HTTP worker threads, one per open connection")
      ->check(CLI::Range(1, 4096));
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
  auto key = accepted_key(flags, env);
  if (!key) return report(key.error());

  server::ServerOptions options;
  options.host = flags.host;
  options.port = flags.port;
  options.store_root = flags.state_dir.empty() ? store::default_root(env) : std::filesystem::path(flags.state_dir);
  options.store_root = std::filesystem::absolute(options.store_root).lexically_normal();
  options.env = env;
  options.max_instances = flags.max_instances > 0 ? flags.max_instances
                                                  : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  options.keys = {*key};
  auto region = aws::resolve_region(env, flags.region, flags.profile);
  options.region = region ? *region : "us-east-1";
  options.uri_policy = flags.allow_local_uris ? job::UriPolicy::local : job::UriPolicy::sagemaker;
  options.threads = flags.threads;
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return report({util::ErrorKind::io, "cannot find this program (/proc/self/exe): " + error.message()});
  options.runner.sagerun = self.string();
  options.runner.runtime = flags.runner.runtime;
  options.runner.docker = flags.runner.docker;
  options.runner.s3_endpoint = flags.s3_endpoint.value_or("");
  options.runner.region = options.region;
  options.runner.profile = flags.profile.value_or("");

  auto server = server::Server::start(options);
  if (!server) return report(server.error());
  std::fprintf(stderr,
               "sagerun: server: SageMaker and CloudWatch Logs APIs on %s (region %s), state in %s, at most %d "
               "instance%s at once, %s runtime; requests must be signed with access key %s\n",
               (*server)->endpoint().c_str(), options.region.c_str(), options.store_root.c_str(), options.max_instances,
               options.max_instances == 1 ? "" : "s", flags.runner.runtime.c_str(), key->access_key_id.c_str());
  if (invocation.flags().output == Output::json) {
    std::printf("%s\n", nlohmann::json{{"Endpoint", (*server)->endpoint()}}.dump().c_str());
  } else {
    std::printf("%s\n", (*server)->endpoint().c_str());
  }
  std::fflush(stdout);
  const int signal = wait_for_stop_signal();
  std::fprintf(stderr, "sagerun: server: %s, stopping (running jobs go on; a restart takes them over)\n",
               strsignal(signal));
  if (!(*server)->stop()) {
    // HTTP workers still held by clients: nothing of theirs needs saving (every job's state is in
    // the store), so the process ends now rather than when the clients let go.
    std::fprintf(stderr, "sagerun: server: stopped (client connections dropped)\n");
    std::fflush(stderr);
    std::_Exit(k_exit_ok);
  }
  return k_exit_ok;
}

} // namespace sagerun::cli
