#pragma once

// The bundle cache (issue 8): a binding's BundleFacts kept in memory (by the Reconciler, across
// passes) with the stat(2) identity of its certificate and key files, so a pass over unchanged
// files builds its disk observation without parsing them. It is not saved: a restarted daemon
// parses every bundle once. Parsing is by far the largest cost of a pass over bindings
// that are in sync (about 10 M instructions a bundle, almost all of it OpenSSL's decoders).
//
// The rule, like git's index: the facts are reused when both files' identities (device, inode,
// size, mtime, ctime) equal those observed just before the facts were parsed, and the paths are
// the binding's paths. An entry is only stored when neither file had changed within
// sys::kRacyWindow of that observation, since a file written again within the same timestamp
// granule would keep its identity. Facts from the cache never carry PEM material: a pass that
// writes loads the files again first (reconciler.cpp), so nothing is ever bound from the cache.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/cert/bundle.h"
#include "daemon/cert/bundle_facts.h"
#include "daemon/settings/settings.h"
#include "daemon/sys/file_identity.h"

namespace apig_certd::engine {

// One binding's bundle as last parsed: the facts, and the identity of both files when they
// were observed, just before they were read. Only entries whose files were not racy
// (sys::is_racy()) when observed are kept.
struct BundleCacheEntry {
  sys::FileIdentity cert_file;
  sys::FileIdentity key_file;
  cert::BundleFacts facts;  // facts.paths: the binding's paths when parsed

  bool operator==(const BundleCacheEntry&) const = default;
};

// The cache, by binding name.
using BundleCache = std::map<std::string, BundleCacheEntry>;

enum class BundleSource {
  // The cached facts when both files are unchanged; otherwise parse (and refresh the entry).
  CacheWhenUnchanged,
  // Always parse the files (and refresh the entry): `sync --force`, `hook`.
  Files,
};

// A binding's bundle as one pass sees it.
struct ObservedBundle {
  std::optional<cert::Bundle> bundle;       // parsed in this pass: facts and PEM material
  std::optional<cert::BundleFacts> cached;  // from the cache: facts only
  std::string error;                        // why neither, when the files could not be loaded

  // The facts, from whichever source; nullptr when the files could not be loaded.
  [[nodiscard]] const cert::BundleFacts* facts() const {
    if (bundle) {
      return &bundle->facts();
    }
    return cached ? &*cached : nullptr;
  }
};

// The cached facts when `entry` vouches for the files as they are now: same paths, and both
// identities equal. nullptr otherwise (also for a null entry). Pure.
const cert::BundleFacts* cached_facts(const BundleCacheEntry* entry, const cert::BundlePaths& paths,
                                      const sys::FileIdentity& cert_file,
                                      const sys::FileIdentity& key_file);

// The entry to remember for facts parsed from files observed (just before reading them) as
// `cert_file` and `key_file`; nullopt when either is racy (sys::is_racy() with
// `racy_window`). Pure.
std::optional<BundleCacheEntry> cache_entry_for(const sys::ObservedFile& cert_file,
                                                const sys::ObservedFile& key_file,
                                                const cert::BundleFacts& facts,
                                                Duration racy_window = sys::kRacyWindow);

// The cached facts of binding `binding` when both its files are unchanged (observed now);
// nullopt when there is no entry, or it no longer vouches for the files. Only stats the files.
std::optional<cert::BundleFacts> facts_if_unchanged(const std::string& binding,
                                                    const cert::BundlePaths& paths,
                                                    const BundleCache& cache);

// What read_bundle_from() saw, and how `cache[binding]` is to change.
struct BundleRead {
  ObservedBundle observed;
  bool loaded = false;                    // the files were read: the entry changes
  std::optional<BundleCacheEntry> entry;  // when loaded: the new entry, or none
};

// Observes both files of binding `binding` and, per `source`, takes the facts from `cache` or
// loads the files (cert::load_bundle() with `decoders`; its error text in `error` when that
// fails). A load replaces the binding's entry with a new one, or with none when the files
// were racy, failed to load, or could not be observed. Does not change `cache`, so the bindings of
// a pass can be read on several threads at once; remember_read() applies the change. `racy_window`
// is for tests, whose files are always new.
BundleRead read_bundle_from(const std::string& binding, const cert::BundlePaths& paths,
                            const BundleCache& cache, BundleSource source,
                            cert::KeyDecoders& decoders, Duration racy_window = sys::kRacyWindow);

// Applies what read_bundle_from() found to `cache` (moves the new entry out of `read`).
void remember_read(BundleCache& cache, const std::string& binding, BundleRead& read);

// read_bundle_from(), then remember_read().
ObservedBundle read_bundle(const std::string& binding, const cert::BundlePaths& paths,
                           BundleCache& cache, BundleSource source, cert::KeyDecoders& decoders,
                           Duration racy_window = sys::kRacyWindow);

// Forgets the entries of bindings that are not in `bindings`, so the cache does not grow with
// bindings long removed from the config.
void prune_bundle_cache(BundleCache& cache, const std::vector<settings::BindingSettings>& bindings);

}  // namespace apig_certd::engine
