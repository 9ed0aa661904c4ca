// libFuzzer target: the XML reader and error parsing that every S3 response goes through.
#include <cstddef>
#include <cstdint>
#include <string>

#include "aws/errors.hpp"
#include "aws/xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sagerun::aws;
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const auto contents : xml::elements(text, "Contents")) {
    (void)xml::first(contents, "Key");
    (void)xml::first(contents, "Size");
  }
  (void)xml::unescape(text);
  (void)xml::escape(text);
  (void)parse_service_error(HttpResponse{404, {}, text});
  return 0;
}
