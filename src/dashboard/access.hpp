#pragma once
// Who may use the dashboard, and from where. The server makes an access token at start (or takes
// SAGERUN_DASHBOARD_TOKEN) and prints the dashboard's URL with it, as Jupyter does. A browser
// brings it once as `?token=…`; it is then kept in a cookie (HttpOnly: no script reads it;
// SameSite=Strict: no other site's page sends it) and the URL is redirected without it, so the
// token does not stay in the address bar or the history.
//
// Every request must name this server in its Host header — an IP address or `localhost`, with
// the server's port — so a name rebound to 127.0.0.1 by another site (DNS rebinding) gets
// nothing. A change (a POST) must also come from the dashboard's own origin: Origin is required
// and must be http://<Host>, and Sec-Fetch-Site, where the browser sends it, same-origin.

#include <optional>
#include <string>
#include <string_view>

#include "aws/http.hpp"

namespace sagerun::dashboard {

inline constexpr std::string_view k_cookie_name = "sagerun_dashboard";

// The value of cookie `name` in the request's Cookie headers.
std::optional<std::string> find_cookie(const aws::Headers& headers, std::string_view name);

// The value of `name` in a query string ("a=1&token=x"), percent-decoded.
std::optional<std::string> query_value(std::string_view query, std::string_view name);

// Whether `host` (a Host header) names this server: an IPv4 or bracketed IPv6 address, or
// localhost, with `port`.
bool names_this_server(std::string_view host, int port);

// Why a change from this request is refused, or nullopt when it comes from the dashboard itself.
std::optional<std::string> cross_origin_refusal(const aws::Headers& headers);

// Equal, in time that does not depend on where they differ.
bool same_secret(std::string_view a, std::string_view b);

// The Set-Cookie value that keeps `token`.
std::string token_cookie(std::string_view token);

} // namespace sagerun::dashboard
