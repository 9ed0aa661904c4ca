#pragma once
// The dashboard: the jobs of the store in a browser, served by `sagerun server` on the API's
// port (server/http_front hands it the requests that are not API calls: is_page_request).
//   GET  /                          the jobs page          /jobs/<name>   a job's page
//   GET  /assets/<file>             the pages' script and style, built in (assets.hpp)
//   GET  /api/jobs?status=&name=&next=&limit=     a page of jobs, as the jobs page shows them
//   GET  /api/jobs/<name>           DescribeTrainingJob's answer
//   GET  /api/jobs/<name>/streams   its hosts' log streams
//   GET  /api/jobs/<name>/logs?stream=&next=      a stream's next events (GetLogEvents)
//   GET  /api/jobs/<name>/charts    its metric charts, as HTML (charts.hpp)
//   POST /api/jobs/<name>/stop      StopTrainingJob
// Each answer is the same function the API serves (the jobs service, the logs API), so the
// dashboard shows what a client reads. Access: access.hpp (the token, its cookie, Host and
// Origin). The pages poll once a second: what changes shows within 2 s.

#include <atomic>
#include <string>

#include "jobs/local_jobs.hpp"
#include "server/http_front.hpp"
#include "server/list_cache.hpp"
#include "server/logs_api.hpp"
#include "server/sagemaker_api.hpp"

namespace sagerun::dashboard {

class Dashboard : public server::PageHandler {
public:
  Dashboard(jobs::LocalJobs& jobs, server::SageMakerApi& sagemaker, server::LogsApi& logs, std::string token)
      : m_jobs(jobs), m_sagemaker(sagemaker), m_logs(logs), m_token(std::move(token)) {}

  // The port the server listens on, which a request's Host must name.
  void set_port(int port) { m_port = port; }
  server::HttpAnswer answer(const server::IncomingRequest& request) const override;

private:
  server::HttpAnswer route(const server::IncomingRequest& request, std::string_view path, std::string_view query) const;
  server::HttpAnswer job_route(const server::IncomingRequest& request, std::string_view name, std::string_view rest,
                               std::string_view query) const;
  server::HttpAnswer jobs_page_data(std::string_view query) const;
  server::HttpAnswer charts(const std::string& name) const;

  jobs::LocalJobs& m_jobs;
  server::SageMakerApi& m_sagemaker;
  server::LogsApi& m_logs;
  std::string m_token;
  std::atomic<int> m_port{0};
  mutable server::ListCache m_pages;
};

} // namespace sagerun::dashboard
