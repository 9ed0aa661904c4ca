#pragma once
// Just enough XML for the S3 API's responses: flat elements, repeated blocks, entities.
// S3's documents are generated, namespace-free in practice, and never nest an element in one
// of the same name, which is what these helpers rely on.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sagerun::aws::xml {

// The raw inner text of every <tag>…</tag> (or empty for <tag/>) in document order.
std::vector<std::string_view> elements(std::string_view document, std::string_view tag);

// The first element's text, entities decoded.
std::optional<std::string> first(std::string_view document, std::string_view tag);

// &amp; &lt; &gt; &quot; &apos; &#NN; &#xNN; decoded.
std::string unescape(std::string_view text);
// The five special characters escaped, for request bodies.
std::string escape(std::string_view text);

} // namespace sagerun::aws::xml
