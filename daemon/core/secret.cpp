// Secret::wipe. explicit_bzero(3) is used because a plain memset before free may be removed
// by the optimiser as a dead store; the whole capacity is wiped, not just the size, since a
// shrinking assignment leaves old bytes behind the terminator.

#include "daemon/core/secret.h"

#include <cstring>  // explicit_bzero (glibc declares it in string.h)

namespace apig_certd {

void Secret::wipe() noexcept {
  if (value_.capacity() > 0) {
    value_.resize(value_.capacity());
    explicit_bzero(value_.data(), value_.size());
  }
  value_.clear();
}

}  // namespace apig_certd
