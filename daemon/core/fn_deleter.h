#pragma once

// FnDeleter<Fn>: a stateless unique_ptr deleter that calls a C library's free function, so
// every C handle gets RAII with one alias and no pointer-sized overhead (STYLE.md §4):
//   using X509Ptr = std::unique_ptr<X509, FnDeleter<X509_free>>;
// Functions with a second argument (sk_X509_pop_free) need a named deleter struct instead.

namespace apig_certd {

template <auto Fn>
struct FnDeleter {
  template <typename T>
  void operator()(T* pointer) const noexcept {
    Fn(pointer);
  }
};

}  // namespace apig_certd
