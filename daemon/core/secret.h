#pragma once

// Secret: bytes that must never be printed and are wiped when no longer needed (private
// keys, secret keys, tokens, passwords).
//
// There is deliberately no operator<< and no implicit conversion to string: code that needs
// the bytes calls view() and thereby says so. Copies are allowed but each copy wipes itself;
// moving leaves the source empty. The wipe uses explicit_bzero(3), which the compiler may not
// optimise away. std::string's small-buffer and reallocation copies are avoided by reserving
// the final size up front where the value is built (see read helpers).

#include <string>
#include <string_view>

namespace apig_certd {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  ~Secret() { wipe(); }
  Secret(const Secret& other) = default;
  Secret& operator=(const Secret& other) {
    if (this != &other) {
      wipe();
      value_ = other.value_;
    }
    return *this;
  }
  Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }
  Secret& operator=(Secret&& other) noexcept {
    if (this != &other) {
      wipe();
      value_ = std::move(other.value_);
      other.wipe();
    }
    return *this;
  }

  // The secret bytes. Do not log, format or store them.
  [[nodiscard]] std::string_view view() const { return value_; }
  [[nodiscard]] bool empty() const { return value_.empty(); }
  [[nodiscard]] std::size_t size() const { return value_.size(); }

  // Overwrites the bytes with zeros and empties the value.
  void wipe() noexcept;

 private:
  std::string value_;
};

}  // namespace apig_certd
