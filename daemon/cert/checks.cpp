// The checks a bundle must pass before it is bound (DESIGN.md §4 step 2).
//
// Approach: load_bundle() has already reduced the OpenSSL objects to plain facts (BundleFacts:
// dates, SANs, key type, which certificate issued which), so every check here is a pure
// function of those facts and the time, tested without files or clocks; the daemon runs them
// on facts cached in its state as well as on freshly parsed ones. Each failing check adds one
// Problem; none stops the others, so an operator sees everything wrong with a bundle in one run
// rather than fixing one thing at a time.
//
// Each problem names the APIG error code the same upload would get (APIG.2101 key mismatch,
// 2102 expired, 2103 domain not covered, 2104 chain order, 2109 no SAN, 3148 notAfter after
// 2038), so the operator can connect our message with APIG's documentation; a check without a
// matching APIG code leaves it empty rather than guessing.
//
// SAN matching follows RFC 6125 §6.4.3 in its strict form: a wildcard is only a whole
// left-most label and matches exactly one label, and never against a bare public-looking
// suffix ("*.com"). Internationalised names are compared in their A-label form (xn--...) only:
// certificates carry A-labels, and converting U-labels would need an IDNA library for no gain.

#include "daemon/cert/checks.h"

#include <algorithm>
#include <array>
#include <ctime>
#include <string>

#include "daemon/core/in_quotes.h"

namespace apig_certd::cert {

namespace {

// "2038-01-19T03:14:07Z".
std::string format_utc(SystemTime time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm broken_down{};
  if (::gmtime_r(&seconds, &broken_down) == nullptr) {
    return "?";
  }
  std::array<char, 32> text{};
  const std::size_t length =
      std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &broken_down);
  return {text.data(), length};
}

std::string leaf_description(const BundleFacts& facts) {
  std::string text = "the certificate";
  if (!facts.common_name.empty()) {
    text += " for '" + facts.common_name + "'";
  }
  return text + " in " + in_quotes(facts.paths.cert);
}

char lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Lowercased, without one trailing dot.
std::string normalise_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  std::string text(name);
  for (char& c : text) {
    c = lower_ascii(c);
  }
  return text;
}

// Every label non-empty: no leading, trailing or doubled dot.
bool has_empty_label(std::string_view name) {
  return name.empty() || name.front() == '.' || name.back() == '.' ||
         name.find("..") != std::string_view::npos;
}

void add_key_problems(const BundleFacts& facts, std::vector<Problem>& problems) {
  switch (facts.key_type) {
    case KeyType::Rsa:
      if (facts.key_bits < kMinRsaBits) {
        problems.push_back(
            {Severity::Error, "",
             "the RSA key of " + leaf_description(facts) + " has " +
                 std::to_string(facts.key_bits) +
                 " bits, too weak for APIG; reissue it with at least 2048 bits (e.g. certbot "
                 "--rsa-key-size 2048) or an EC P-256 key"});
      }
      break;
    case KeyType::Ec:
      if (facts.ec_curve == "P-521") {
        problems.push_back(
            {Severity::Warning, "",
             "the key of " + leaf_description(facts) +
                 " uses curve P-521, which APIG's documents do not list; if APIG refuses it, "
                 "reissue with P-256 or P-384 (e.g. certbot --elliptic-curve secp384r1)"});
      } else if (facts.ec_curve != "P-256" && facts.ec_curve != "P-384") {
        problems.push_back({Severity::Error, "",
                            "the key of " + leaf_description(facts) + " uses curve '" +
                                facts.ec_curve +
                                "', which APIG does not support; reissue with P-256 or P-384"});
      }
      break;
    case KeyType::Ed25519:
    case KeyType::Other:
      problems.push_back({Severity::Error, "",
                          "the key of " + leaf_description(facts) + " is of type " +
                              std::string(to_string(facts.key_type)) +
                              ", which APIG does not support; reissue with an RSA (2048 bits "
                              "or more) or EC P-256/P-384 key"});
      break;
  }
}

void add_chain_problems(const BundleFacts& facts, std::vector<Problem>& problems) {
  const std::string where = in_quotes(facts.paths.cert);
  if (!facts.key_matches_leaf) {
    problems.push_back(
        {Severity::Error, "APIG.2101",
         "the private key in " + in_quotes(facts.paths.key) +
             " does not belong to any certificate in " + where +
             "; point both paths at the same lineage (a renewal caught half-way resolves "
             "itself on the next attempt)"});
  } else if (facts.leaf_file_position != 1) {
    problems.push_back(
        {Severity::Error, "APIG.2104",
         "the chain in " + where +
             " is out of order: the certificate matching the key is "
             "certificate " +
             std::to_string(facts.leaf_file_position) +
             " of the file; put the leaf first, then each issuer after the certificate it "
             "signed (use fullchain.pem)"});
  }
  const auto& links = facts.chain_links;
  for (std::size_t index = 0; index < links.size(); ++index) {
    const ChainLink& link = links[index];
    if (link.issues_previous) {
      continue;
    }
    const std::string which =
        "certificate " + std::to_string(link.file_position) + " (" + link.subject + ")";
    if (link.issues_other) {
      // The certificate it follows in APIG's order: the leaf, or the chain entry before it.
      const std::size_t previous_position =
          index == 0 ? facts.leaf_file_position : links[index - 1].file_position;
      const std::string& previous_subject = index == 0 ? facts.subject : links[index - 1].subject;
      std::string message = "the chain in " + where + " is out of order: ";
      message += which;
      message += " follows certificate " + std::to_string(previous_position);
      message += " (";
      message += previous_subject;
      message += ") but did not issue it; ";
      message +=
          "order the file leaf first, then each issuer right after the certificate it "
          "signed (use fullchain.pem)";
      problems.push_back({Severity::Error, "APIG.2104", std::move(message)});
    } else {
      std::string message = which;
      message += " in " + where;
      message +=
          " signs no certificate in the chain; remove it, or use the chain your CA "
          "provides (fullchain.pem)";
      problems.push_back({Severity::Error, "APIG.2104", std::move(message)});
    }
  }
}

}  // namespace

std::vector<Problem> check_bundle(const BundleFacts& facts, SystemTime now) {
  std::vector<Problem> problems;
  add_chain_problems(facts, problems);

  if (now > facts.not_after) {
    problems.push_back({Severity::Error, "APIG.2102",
                        leaf_description(facts) + " expired on " + format_utc(facts.not_after) +
                            "; renew it (e.g. `certbot renew`) and check the ACME client's "
                            "timer"});
  }
  if (now < facts.not_before) {
    problems.push_back({Severity::Error, "",
                        leaf_description(facts) + " is not valid before " +
                            format_utc(facts.not_before) +
                            "; check this machine's clock, or wait until then"});
  }
  if (facts.sans.empty()) {
    problems.push_back({Severity::Error, "APIG.2109",
                        leaf_description(facts) +
                            " has no DNS subject alternative name; reissue it with the domain "
                            "names as SANs (ACME clients always do)"});
  }
  if (facts.not_after > SystemTime(kLatestApigNotAfter)) {
    problems.push_back({Severity::Error, "APIG.3148",
                        leaf_description(facts) + " is valid until " + format_utc(facts.not_after) +
                            ", later than the 2038-01-19T03:14:07Z APIG accepts; reissue it "
                            "with an earlier expiry"});
  }
  add_key_problems(facts, problems);
  return problems;
}

std::optional<Problem> check_domain(const BundleFacts& facts, std::string_view domain) {
  const std::string where = in_quotes(facts.paths.cert);
  if (domain.empty()) {
    return Problem{Severity::Error, "",
                   "the target domain is empty; set 'domain' in the binding's target"};
  }
  if (!is_ascii(domain)) {
    return Problem{Severity::Error, "APIG.2103",
                   "domain '" + std::string(domain) +
                       "' is not ASCII; write internationalised names in their A-label form "
                       "(xn--..., e.g. from `idn2 " +
                       std::string(domain) +
                       "`), as "
                       "certificates and APIG do"};
  }
  for (const std::string& san : facts.sans) {
    if (san_covers(san, domain)) {
      return std::nullopt;
    }
  }
  std::string names;
  for (const std::string& san : facts.sans) {
    names += names.empty() ? "" : ", ";
    names += san;
  }
  if (names.empty()) {
    names = "none";
  }
  return Problem{Severity::Error, "APIG.2103",
                 leaf_description(facts) + " does not cover domain '" + std::string(domain) +
                     "' (its DNS names: " + names +
                     "); request a certificate that includes it, or fix the target's domain"};
}

bool san_covers(std::string_view san, std::string_view domain) {
  if (!is_ascii(san) || !is_ascii(domain)) {
    return false;
  }
  const std::string pattern = normalise_name(san);
  const std::string name = normalise_name(domain);
  if (has_empty_label(pattern) || has_empty_label(name)) {
    return false;
  }
  if (pattern == name) {
    return true;
  }
  if (pattern.size() < 2 || pattern.compare(0, 2, "*.") != 0) {
    return false;  // Not a wildcard, or a partial one such as "a*.example.com".
  }
  const std::string_view base = std::string_view(pattern).substr(2);
  if (base.find('.') == std::string_view::npos || base.find('*') != std::string_view::npos) {
    return false;  // "*.com" is too broad; a second '*' is not a wildcard we honour.
  }
  const std::size_t first_dot = name.find('.');
  if (first_dot == std::string::npos) {
    return false;
  }
  const std::string_view first_label = std::string_view(name).substr(0, first_dot);
  if (first_label.find('*') != std::string_view::npos) {
    return false;  // A wildcard target is only covered by the identical wildcard SAN.
  }
  return std::string_view(name).substr(first_dot + 1) == base;
}

}  // namespace apig_certd::cert
