// Fuzz target: the PEM bundle loader and its checks (daemon/cert/bundle.h, checks.h,
// certificate_name.h).
//
// Input: the certificate file's text, a NUL byte, then the key file's text (PEM never holds
// a NUL, so the split is unambiguous). Whatever loads is then judged as `apig-certd check`
// judges it: the bundle checks at a fixed time, the domain check, and the APIG name.
//
// The key is decoded with one KeyDecoders for the whole run, as a daemon pass decodes every
// bundle's key with the Reconciler's: each input meets decoder contexts that have already
// decoded (or failed on) the inputs before it.

#include <chrono>
#include <cstdint>
#include <cstdlib>

#include "daemon/cert/bundle.h"
#include "daemon/cert/certificate_name.h"
#include "daemon/cert/checks.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace cert = apig_certd::cert;
  const auto [certificate_text, key_text] =
      apig_certd::fuzz::split_once(apig_certd::fuzz::as_text(data, size), '\0');
  const cert::BundlePaths paths{"/fuzz/fullchain.pem", "/fuzz/privkey.pem"};
  static cert::KeyDecoders decoders;
  const auto bundle = cert::Bundle::parse(certificate_text, key_text, paths, decoders);
  if (!bundle) {
    return 0;
  }
  // 2027-01-01T00:00:00Z, inside the seed certificates' validity: fixed, so a crash
  // reproduces on any day.
  const apig_certd::SystemTime now{std::chrono::seconds{1'798'761'600}};
  (void)cert::check_bundle(*bundle, now);
  (void)cert::check_domain(*bundle, "www.example.com");
  (void)cert::check_domain(*bundle, "a.b.example.com.");
  for (const std::string& san : bundle->sans()) {
    (void)cert::san_covers(san, "www.example.com");
  }
  if (!cert::is_valid_certificate_name(cert::certificate_name("example", *bundle))) {
    std::abort();  // certificate_name() must always produce a name APIG accepts.
  }
  return 0;
}
