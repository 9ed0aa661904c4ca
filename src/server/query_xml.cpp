#include "server/query_xml.hpp"
#include "util/utc_time.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

namespace sagerun::server {
namespace {

using nlohmann::ordered_json;

constexpr std::string_view k_replacement = "\xEF\xBF\xBD"; // U+FFFD

// The length of the UTF-8 sequence at `text[i]`, 0 when it is not one (overlong forms,
// surrogates and values past U+10FFFF included).
size_t utf8_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t at) { return at < text.size() ? static_cast<unsigned char>(text[at]) : 0u; };
  const auto follows = [&](size_t at, unsigned low = 0x80, unsigned high = 0xBF) {
    return byte(at) >= low && byte(at) <= high;
  };
  const unsigned lead = byte(i);
  if (lead >= 0xC2 && lead <= 0xDF) return follows(i + 1) ? 2 : 0;
  if (lead == 0xE0) return follows(i + 1, 0xA0) && follows(i + 2) ? 3 : 0;
  if (lead == 0xED) return follows(i + 1, 0x80, 0x9F) && follows(i + 2) ? 3 : 0;
  if (lead >= 0xE1 && lead <= 0xEF) return follows(i + 1) && follows(i + 2) ? 3 : 0;
  if (lead == 0xF0) return follows(i + 1, 0x90) && follows(i + 2) && follows(i + 3) ? 4 : 0;
  if (lead >= 0xF1 && lead <= 0xF3) return follows(i + 1) && follows(i + 2) && follows(i + 3) ? 4 : 0;
  if (lead == 0xF4) return follows(i + 1, 0x80, 0x8F) && follows(i + 2) && follows(i + 3) ? 4 : 0;
  return 0;
}

bool is_timestamp_member(std::string_view member) { return member == "Timestamp" || member == "Timestamps"; }

void append_value(std::string& out, std::string_view member, const ordered_json& value);

void append_element(std::string& out, std::string_view name, std::string_view member, const ordered_json& value) {
  out.append("<").append(name).append(">");
  append_value(out, member, value);
  out.append("</").append(name).append(">");
}

void append_value(std::string& out, std::string_view member, const ordered_json& value) {
  if (value.is_array()) {
    for (const auto& item : value)
      append_element(out, "member", member, item);
  } else if (value.is_object()) {
    const bool map = member == "ExtendedStatistics";
    for (const auto& [key, item] : value.items()) {
      if (map) {
        out.append("<entry><key>").append(xml_escape(key)).append("</key>");
        append_element(out, "value", key, item);
        out.append("</entry>");
      } else {
        append_element(out, key, key, item);
      }
    }
  } else if (value.is_string()) {
    out.append(xml_escape(value.get_ref<const std::string&>()));
  } else if (value.is_number() && is_timestamp_member(member)) {
    out.append(iso8601(value.get<double>()));
  } else {
    out.append(value.dump());
  }
}

} // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
      case '&': out.append("&amp;"); break;
      case '<': out.append("&lt;"); break;
      case '>': out.append("&gt;"); break;
      case '"': out.append("&quot;"); break;
      case '\'': out.append("&apos;"); break;
      case '\r': out.append("&#13;"); break; // a parser would make it '\n' otherwise
      default:
        if (c < 0x20 && c != '\t' && c != '\n') {
          out.append(k_replacement);
        } else {
          out.push_back(static_cast<char>(c));
        }
      }
      ++i;
      continue;
    }
    const size_t length = utf8_length(text, i);
    if (length == 0) {
      out.append(k_replacement);
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

std::string iso8601(double epoch_seconds) { return util::utc_text(epoch_seconds, util::UtcStyle::iso_short); }

std::string query_response(std::string_view operation, const ordered_json& result, std::string_view request_id) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<";
  out.append(operation).append("Response xmlns=\"").append(k_cloudwatch_xmlns).append("\">\n  <");
  out.append(operation).append("Result>");
  append_value(out, "", result);
  out.append("</").append(operation).append("Result>\n  <ResponseMetadata>\n    <RequestId>");
  out.append(xml_escape(request_id)).append("</RequestId>\n  </ResponseMetadata>\n</");
  out.append(operation).append("Response>\n");
  return out;
}

std::string query_error(const ApiError& error, std::string_view request_id) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"";
  out.append(k_cloudwatch_xmlns).append("\">\n  <Error>\n    <Type>");
  out.append(error.http_status >= 500 ? "Receiver" : "Sender").append("</Type>\n    <Code>");
  out.append(xml_escape(error.type)).append("</Code>\n    <Message>").append(xml_escape(error.message));
  out.append("</Message>\n  </Error>\n  <RequestId>").append(xml_escape(request_id));
  out.append("</RequestId>\n</ErrorResponse>\n");
  return out;
}

} // namespace sagerun::server
