#include "dashboard/dashboard.hpp"

#include "dashboard/access.hpp"
#include "dashboard/assets.hpp"
#include "dashboard/job_rows.hpp"
#include "dashboard/metric_charts.hpp"
#include "job/lifecycle.hpp"
#include "job/names.hpp"
#include "server/json_text.hpp"

namespace sagerun::dashboard {
namespace {

using server::HttpAnswer;
using server::IncomingRequest;

constexpr int k_default_page = 50;

// Every answer: nothing kept by the browser, nothing framed, run or fetched from elsewhere.
void secure(HttpAnswer& answer) {
  answer.headers.emplace_back("Cache-Control", "no-store");
  answer.headers.emplace_back("Content-Security-Policy",
                              "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                              "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  answer.headers.emplace_back("X-Content-Type-Options", "nosniff");
  answer.headers.emplace_back("X-Frame-Options", "DENY");
  answer.headers.emplace_back("Referrer-Policy", "no-referrer");
}

HttpAnswer answer_of(int status, std::string content_type, std::string body) {
  HttpAnswer answer;
  answer.status = status;
  answer.content_type = std::move(content_type);
  answer.body = std::move(body);
  return answer;
}

HttpAnswer json_answer(std::string body) { return answer_of(200, "application/json", std::move(body)); }

HttpAnswer error_json(int status, std::string_view type, std::string message) {
  return answer_of(status, "application/json",
                   server::json_text({{"error", {{"type", type}, {"message", std::move(message)}}}}));
}

HttpAnswer error_json(const server::ApiError& error) {
  return error_json(error.http_status, error.type, error.message);
}

HttpAnswer plain_page(int status, const std::string& title, const std::string& text) {
  return answer_of(status, "text/html; charset=utf-8",
                   "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + title +
                       "</title></head><body><h1>" + title + "</h1><p>" + text + "</p></body></html>");
}

HttpAnswer asset_answer(std::string_view name) {
  const auto asset = find_asset(name);
  if (!asset) return plain_page(404, "Not found", "The dashboard has no such page.");
  return answer_of(200, std::string(asset->content_type), std::string(asset->body));
}

HttpAnswer redirect(std::string location, std::string cookie) {
  HttpAnswer answer = answer_of(303, "text/plain; charset=utf-8", "");
  answer.headers.emplace_back("Location", std::move(location));
  answer.headers.emplace_back("Set-Cookie", std::move(cookie));
  return answer;
}

// The query without its `token` parameter.
std::string without_token(std::string_view query) {
  std::string kept;
  while (!query.empty()) {
    const auto end = query.find('&');
    const auto pair = query.substr(0, end);
    query = end == std::string_view::npos ? std::string_view{} : query.substr(end + 1);
    if (pair == "token" || pair.starts_with("token=") || pair.empty()) continue;
    kept += (kept.empty() ? "" : "&") + std::string(pair);
  }
  return kept;
}

std::optional<job::JobStatus> status_filter(const std::string& text) {
  for (const auto status : {job::JobStatus::in_progress, job::JobStatus::completed, job::JobStatus::failed,
                            job::JobStatus::stopping, job::JobStatus::stopped}) {
    if (job::to_string(status) == text) return status;
  }
  return std::nullopt;
}

bool name_filter(std::string_view text) {
  return text.size() <= 63 && std::ranges::all_of(text, [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
         });
}

} // namespace

HttpAnswer Dashboard::answer(const IncomingRequest& request) const {
  HttpAnswer answer = [&] {
    const auto host = aws::find_header(request.headers, "Host");
    if (!host || !names_this_server(*host, m_port))
      return plain_page(403, "Forbidden",
                        "This server answers only requests addressed to it by IP address or localhost.");
    const std::string_view target = request.target;
    const auto question = target.find('?');
    const auto path = target.substr(0, question);
    const auto query = question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
    if (const auto token = query_value(query, "token"); token && request.method == "GET") {
      if (!same_secret(*token, m_token))
        return plain_page(401, "Unauthorized",
                          "The token is not this server's: open the link the server printed at start.");
      const std::string rest = without_token(query);
      return redirect(std::string(path) + (rest.empty() ? "" : "?" + rest), token_cookie(m_token));
    }
    const auto cookie = find_cookie(request.headers, k_cookie_name);
    if (!cookie || !same_secret(*cookie, m_token))
      return plain_page(401, "Unauthorized",
                        "Open the dashboard's link with its token, as the server printed it at start.");
    return route(request, path, query);
  }();
  secure(answer);
  return answer;
}

HttpAnswer Dashboard::route(const IncomingRequest& request, std::string_view path, std::string_view query) const {
  const bool get = request.method == "GET";
  if (get && (path == "/" || path == "/index.html")) return asset_answer("jobs.html");
  if (get && path.starts_with("/jobs/") && job::is_valid_job_name(std::string(path.substr(6))))
    return asset_answer("job.html");
  if (get && path.starts_with("/assets/")) return asset_answer(path.substr(8));
  if (get && path == "/api/jobs") return jobs_page_data(query);
  constexpr std::string_view k_job_prefix = "/api/jobs/";
  if (path.starts_with(k_job_prefix)) {
    const auto rest = path.substr(k_job_prefix.size());
    const auto slash = rest.find('/');
    const auto name = rest.substr(0, slash);
    if (job::is_valid_job_name(std::string(name)))
      return job_route(request, name, slash == std::string_view::npos ? "" : rest.substr(slash), query);
  }
  return get ? plain_page(404, "Not found", "The dashboard has no such page.")
             : error_json(404, "NotFound", "the dashboard takes no " + request.method + " at " + std::string(path));
}

HttpAnswer Dashboard::job_route(const IncomingRequest& request, std::string_view name, std::string_view rest,
                                std::string_view query) const {
  const std::string job(name);
  if (request.method == "POST") {
    if (rest != "/stop") return error_json(404, "NotFound", "the dashboard takes no POST at this address");
    if (auto refusal = cross_origin_refusal(request.headers)) return error_json(403, "Forbidden", *refusal);
    auto stopped = m_sagemaker.stop_training_job({{"TrainingJobName", job}});
    return stopped ? json_answer("{}") : error_json(stopped.error());
  }
  server::ApiResult<std::string> result = std::string();
  if (rest.empty()) {
    result = m_sagemaker.describe_training_job({{"TrainingJobName", job}});
  } else if (rest == "/streams") {
    result = m_logs.describe_log_streams({{"logGroupName", server::k_log_group}, {"logStreamNamePrefix", job + "/"}});
  } else if (rest == "/logs") {
    const auto stream = query_value(query, "stream").value_or("");
    if (!stream.starts_with(job + "/")) return error_json(400, "ValidationException", "stream: not a stream of " + job);
    nlohmann::json body{{"logGroupName", server::k_log_group}, {"logStreamName", stream}, {"startFromHead", true}};
    if (const auto next = query_value(query, "next"); next && !next->empty()) body["nextToken"] = *next;
    result = m_logs.get_log_events(body);
  } else if (rest == "/charts") {
    return charts(job);
  } else {
    return error_json(404, "NotFound", "the dashboard has no such address");
  }
  return result ? json_answer(std::move(*result)) : error_json(result.error());
}

HttpAnswer Dashboard::jobs_page_data(std::string_view query) const {
  store::ListQuery list;
  list.max_results = k_default_page;
  if (const auto limit = query_value(query, "limit")) {
    const int value = std::atoi(limit->c_str());
    if (value < 1 || value > 100) return error_json(400, "ValidationException", "limit: give 1 to 100");
    list.max_results = value;
  }
  if (const auto status = query_value(query, "status"); status && !status->empty()) {
    list.status_equals = status_filter(*status);
    if (!list.status_equals)
      return error_json(400, "ValidationException",
                        "status: give one of InProgress, Completed, Failed, Stopping, Stopped");
  }
  if (const auto name = query_value(query, "name"); name && !name->empty()) {
    if (!name_filter(*name))
      return error_json(400, "ValidationException", "name: letters, digits and hyphens, at most 63");
    list.name_contains = *name;
  }
  list.next_token = query_value(query, "next").value_or("");

  m_jobs.reconcile_all(); // a runner that died ends its job first
  auto& index = m_jobs.store().index();
  const auto version = index.version();
  const std::string key(query);
  if (version) {
    if (auto kept = m_pages.find(key, *version)) return json_answer(std::move(*kept));
  }
  auto page = index.list(list);
  if (!page) return error_json(server::to_api_error(page.error()));
  auto rows = nlohmann::json::array();
  for (const auto& summary : page->jobs) {
    if (auto row = index.find(summary.name)) rows.push_back(job_row(*row));
  }
  std::string text = server::json_text({{"jobs", std::move(rows)}, {"next", page->next_token}});
  if (version) m_pages.keep(key, *version, text);
  return json_answer(std::move(text));
}

HttpAnswer Dashboard::charts(const std::string& name) const {
  auto row = m_jobs.store().index().find(name);
  if (!row) return error_json(400, "ValidationException", "Requested resource not found.");
  auto series = store::read_metric_series(m_jobs.store().folder(name), row->instances);
  if (!series) return error_json(server::to_api_error(series.error()));
  return answer_of(200, "text/html; charset=utf-8", charts_html(charts_of(*series)));
}

} // namespace sagerun::dashboard
