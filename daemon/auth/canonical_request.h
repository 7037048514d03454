#pragma once

// The URI-encoding and canonical URI / query rules of Huawei's SDK-HMAC-SHA256 signing
// (REFERENCE.md §7 steps 2 and 3), shared by the signer and the verifier and exposed so
// they can be tested on their own.

#include <string>
#include <string_view>

#include "daemon/core/result.h"

namespace apig_certd::auth {

// Percent-encodes every byte except the RFC 3986 unreserved set (A-Z a-z 0-9 - _ . ~) as
// "%XY" with upper-case hex. A space becomes "%20", never "+". Non-ASCII text is encoded byte
// by byte, so UTF-8 input gives the UTF-8 escapes.
std::string uri_encode(std::string_view bytes);

// Decodes "%XY" escapes (either case of hex). '+' stays '+' (RFC 3986; "+ means space" is a
// form-encoding rule, not a URI rule). ParseError when a '%' is not followed by two hex digits.
Result<std::string> percent_decode(std::string_view text);

// The canonical URI of a raw (as sent, percent-encoded) path: split on '/', decode and then
// re-encode each segment with uri_encode(), join with '/', and append '/' unless the result
// already ends in '/'. An empty path gives "/". An encoded slash ("%2F") stays inside its
// segment and comes out as "%2F". ParseError on a malformed escape.
Result<std::string> canonical_uri(std::string_view raw_path);

// The canonical query string of a raw query (without '?'): split on '&' (empty pieces are
// skipped), split each piece at its first '=' (no '=' means an empty value), decode and
// re-encode key and value, sort by encoded key and then by encoded value (byte order), and
// join as "key=value" with '&'. An empty value is written "key=". An empty query gives "".
// ParseError on a malformed escape.
Result<std::string> canonical_query_string(std::string_view raw_query);

}  // namespace apig_certd::auth
