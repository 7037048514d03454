// The bundle cache: when a binding's facts may come from memory instead of its files.
//
// Both files are observed (stat through symlinks) before anything is read: if a file changes
// between the observation and the read, the entry pairs the old identity with the new facts,
// and the next observation sees a new identity and parses again; the other order could pair a
// new identity with old facts for good. The key file's identity counts as much as the
// certificate's: the facts say whether the key matches the leaf and whether others may read it
// (a chmod changes the ctime).
//
// Errors are not cached: a binding whose files fail to load is loaded again on every pass, so
// its error message is always today's.

#include "daemon/engine/bundle_cache.h"

#include <set>
#include <string_view>

namespace apig_certd::engine {

const cert::BundleFacts* cached_facts(const BundleCacheEntry* entry, const cert::BundlePaths& paths,
                                      const sys::FileIdentity& cert_file,
                                      const sys::FileIdentity& key_file) {
  if (entry == nullptr || entry->facts.paths != paths || entry->cert_file != cert_file ||
      entry->key_file != key_file) {
    return nullptr;
  }
  return &entry->facts;
}

std::optional<BundleCacheEntry> cache_entry_for(const sys::ObservedFile& cert_file,
                                                const sys::ObservedFile& key_file,
                                                const cert::BundleFacts& facts,
                                                Duration racy_window) {
  if (sys::is_racy(cert_file.identity, cert_file.observed_at, racy_window) ||
      sys::is_racy(key_file.identity, key_file.observed_at, racy_window)) {
    return std::nullopt;
  }
  return BundleCacheEntry{cert_file.identity, key_file.identity, facts};
}

std::optional<cert::BundleFacts> facts_if_unchanged(const std::string& binding,
                                                    const cert::BundlePaths& paths,
                                                    const BundleCache& cache) {
  const auto found = cache.find(binding);
  if (found == cache.end()) {
    return std::nullopt;
  }
  const Result<sys::ObservedFile> cert_file = sys::observe_file(paths.cert);
  const Result<sys::ObservedFile> key_file = sys::observe_file(paths.key);
  if (!cert_file || !key_file) {
    return std::nullopt;
  }
  if (const cert::BundleFacts* facts =
          cached_facts(&found->second, paths, cert_file->identity, key_file->identity)) {
    return *facts;
  }
  return std::nullopt;
}

BundleRead read_bundle_from(const std::string& binding, const cert::BundlePaths& paths,
                            const BundleCache& cache, BundleSource source,
                            cert::KeyDecoders& decoders, Duration racy_window) {
  // A file that cannot be observed is left to load_bundle() to report.
  const Result<sys::ObservedFile> cert_file = sys::observe_file(paths.cert);
  const Result<sys::ObservedFile> key_file = sys::observe_file(paths.key);
  BundleRead read;
  if (source == BundleSource::CacheWhenUnchanged && cert_file && key_file) {
    const auto found = cache.find(binding);
    if (const cert::BundleFacts* facts =
            found == cache.end()
                ? nullptr
                : cached_facts(&found->second, paths, cert_file->identity, key_file->identity)) {
      read.observed.cached = *facts;
      return read;
    }
  }
  read.loaded = true;
  Result<cert::Bundle> bundle = cert::load_bundle(paths, decoders);
  if (bundle && cert_file && key_file) {
    read.entry = cache_entry_for(*cert_file, *key_file, bundle->facts(), racy_window);
  }
  if (!bundle) {
    read.observed.error = bundle.error().to_string();
    return read;
  }
  read.observed.bundle = std::move(*bundle);
  return read;
}

void remember_read(BundleCache& cache, const std::string& binding, BundleRead& read) {
  if (!read.loaded) {
    return;
  }
  if (read.entry) {
    // A copy, not a move: made on a parsing thread, the entry's twenty-odd small blocks lie
    // among that thread's parsing temporaries (OpenSSL's, the files' text), and would keep
    // those pages resident once the pass has freed the rest. Copied on the pass's thread
    // after the parsing, they take far fewer pages: with 1,000 bindings in sync the daemon
    // keeps 13.0 MiB of anonymous memory instead of 17.1 (scripts/bench.sh --only memory).
    const BundleCacheEntry& made = *read.entry;
    cache.insert_or_assign(binding, made);
  } else {
    cache.erase(binding);
  }
}

ObservedBundle read_bundle(const std::string& binding, const cert::BundlePaths& paths,
                           BundleCache& cache, BundleSource source, cert::KeyDecoders& decoders,
                           Duration racy_window) {
  BundleRead read = read_bundle_from(binding, paths, cache, source, decoders, racy_window);
  remember_read(cache, binding, read);
  return std::move(read.observed);
}

void prune_bundle_cache(BundleCache& cache,
                        const std::vector<settings::BindingSettings>& bindings) {
  std::set<std::string_view> names;
  for (const settings::BindingSettings& binding : bindings) {
    names.insert(binding.name);
  }
  std::erase_if(cache, [&](const auto& entry) { return !names.contains(entry.first); });
}

}  // namespace apig_certd::engine
