#pragma once

// KeyDecoders: the OpenSSL decoder contexts that turn a private key's DER into a key, kept
// for reuse across bundles. OpenSSL 3.0 builds a new decoder chain for every
// EVP_PKCS82PKEY() or d2i_PrivateKey() call (OSSL_DECODER_CTX_new_for_pkey: about 4 M
// instructions for an RSA key, under global locks that parallel workers contend for), while
// decoding with a chain already built takes about 0.1 M. A pass that parses 1,000 bundles
// used to spend 40 % of its parsing there.
//
// Safe to share between threads: each context is used by one thread at a time (taken from
// the idle list under a mutex, given back after). The contexts are built as they are first
// needed, one per key format and type per thread that decodes at the same time, and at most
// kMaxIdleKeyDecoders are kept. Declared without OpenSSL types; bundle.cpp decodes with it
// through key_decoding.h.

#include <cstddef>
#include <memory>

namespace apig_certd::cert {

inline constexpr std::size_t kMaxIdleKeyDecoders = 64;

class KeyDecoders {
 public:
  KeyDecoders();
  ~KeyDecoders();
  KeyDecoders(const KeyDecoders&) = delete;
  KeyDecoders& operator=(const KeyDecoders&) = delete;
  KeyDecoders(KeyDecoders&&) = delete;
  KeyDecoders& operator=(KeyDecoders&&) = delete;

  // The number of decoder contexts built so far, and of those idle now (for tests).
  [[nodiscard]] std::size_t built() const;
  [[nodiscard]] std::size_t idle() const;

  // Frees the idle contexts (the next decode builds what it needs again).
  void drop_idle();

  struct Pool;  // key_decoders.cpp
  Pool& pool() { return *pool_; }

 private:
  std::unique_ptr<Pool> pool_;
};

}  // namespace apig_certd::cert
