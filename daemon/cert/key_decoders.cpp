// KeyDecoders: an idle list of decoder contexts, keyed by structure and key type. A context
// writes the key it decodes into the EVP_PKEY* slot it was built with; the slot lives next to
// the context in a heap object, so its address stays valid while the object moves between
// the idle list and the thread using it.

#include "daemon/cert/key_decoders.h"

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <openssl/decoder.h>

#include "daemon/cert/key_decoding.h"

namespace apig_certd::cert {

// One context and the slot it writes its key into. Named (not in an anonymous namespace)
// because KeyDecoders::Pool, which has external linkage, holds them.
struct DecoderContext {
  DecoderContext() = default;
  DecoderContext(const DecoderContext&) = delete;
  DecoderContext& operator=(const DecoderContext&) = delete;
  DecoderContext(DecoderContext&&) = delete;
  DecoderContext& operator=(DecoderContext&&) = delete;
  ~DecoderContext() {
    OSSL_DECODER_CTX_free(context);
    EVP_PKEY_free(output);
  }

  std::string name;  // structure + "/" + key type
  EVP_PKEY* output = nullptr;
  OSSL_DECODER_CTX* context = nullptr;
};

struct KeyDecoders::Pool {
  mutable std::mutex mutex;
  std::vector<std::unique_ptr<DecoderContext>> idle;
  std::size_t built = 0;

  std::unique_ptr<DecoderContext> take(const std::string& name) {
    const std::lock_guard lock(mutex);
    for (auto it = idle.begin(); it != idle.end(); ++it) {
      if ((*it)->name == name) {
        std::unique_ptr<DecoderContext> found = std::move(*it);
        idle.erase(it);
        return found;
      }
    }
    return nullptr;
  }

  void give_back(std::unique_ptr<DecoderContext> context) {
    const std::lock_guard lock(mutex);
    if (idle.size() < kMaxIdleKeyDecoders) {
      idle.push_back(std::move(context));
    }
  }
};

KeyDecoders::KeyDecoders() : pool_(std::make_unique<Pool>()) {}

KeyDecoders::~KeyDecoders() = default;

std::size_t KeyDecoders::built() const {
  const std::lock_guard lock(pool_->mutex);
  return pool_->built;
}

void KeyDecoders::drop_idle() {
  const std::lock_guard lock(pool_->mutex);
  pool_->idle.clear();
}

std::size_t KeyDecoders::idle() const {
  const std::lock_guard lock(pool_->mutex);
  return pool_->idle.size();
}

DecodedKey decode_private_key(KeyDecoders& decoders, const char* structure, const char* key_type,
                              const unsigned char* der, std::size_t length) {
  KeyDecoders::Pool& pool = decoders.pool();
  const std::string name = std::string(structure) + "/" + key_type;
  std::unique_ptr<DecoderContext> decoder = pool.take(name);
  if (!decoder) {
    decoder = std::make_unique<DecoderContext>();
    decoder->name = name;
    decoder->context = OSSL_DECODER_CTX_new_for_pkey(&decoder->output, "DER", structure, key_type,
                                                     EVP_PKEY_KEYPAIR, nullptr, nullptr);
    // No decoder for this type (an algorithm OpenSSL does not know): nothing worth keeping.
    if (decoder->context == nullptr || OSSL_DECODER_CTX_get_num_decoders(decoder->context) == 0) {
      return {};
    }
    const std::lock_guard lock(pool.mutex);
    ++pool.built;
  }
  const unsigned char* cursor = der;
  std::size_t left = length;
  const bool decoded = OSSL_DECODER_from_data(decoder->context, &cursor, &left) == 1;
  DecodedKey result;
  result.key.reset(std::exchange(decoder->output, nullptr));
  if (!decoded) {
    result.key.reset();
  }
  result.used_whole = result.key != nullptr && left == 0;
  pool.give_back(std::move(decoder));
  return result;
}

}  // namespace apig_certd::cert
