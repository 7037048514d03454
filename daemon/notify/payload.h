#pragma once

// The JSON body of one notification. Pure. Only what the state holds goes in (names, ids,
// fingerprints, times, results and the last error), so no key, token, password or header
// value can: the state has no field that could hold one.
//
//   {"event":"bound","binding":"site","domain":"www.example.com","domain_id":"...",
//    "instance_id":"...","group_id":"...","sha256":"...","certificate_name":"...",
//    "not_after":"2027-01-31T12:00:00Z","result":"bound","error":null,
//    "time":"2026-11-28T13:00:00Z","host":"web1"}
//
// `error` is {"code":"APIG.2101","message":"..."} when the target is failing, else null;
// `not_after` is null when unknown.

#include <string>
#include <string_view>

#include "daemon/core/clock.h"
#include "daemon/notify/changes.h"

namespace apig_certd::notify {

std::string payload_json(const Change& change, SystemTime now, std::string_view host);

}  // namespace apig_certd::notify
