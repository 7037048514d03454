#include "daemon/state/target_result.h"

#include <array>
#include <utility>

namespace apig_certd::state {

namespace {

struct Texts {
  TargetResult result;
  std::string_view token;
  std::string_view words;
};

constexpr std::array kTexts = {
    Texts{TargetResult::InSync, "in_sync", "in sync"},
    Texts{TargetResult::Bound, "bound", "bound"},
    Texts{TargetResult::Resolving, "resolving", "resolving"},
    Texts{TargetResult::Failed, "failed", "failed"},
    Texts{TargetResult::Invalid, "invalid", "failed"},
    Texts{TargetResult::Refused, "refused", "failed"},
    Texts{TargetResult::Drift, "drift", "failed"},
    Texts{TargetResult::WouldBind, "would_bind", "would bind"},
    Texts{TargetResult::WouldUpdate, "would_update", "would update"},
};

const Texts& texts(TargetResult result) {
  return kTexts.at(static_cast<std::size_t>(result));
}

}  // namespace

std::string_view token(TargetResult result) {
  return texts(result).token;
}

std::string_view words(TargetResult result) {
  return texts(result).words;
}

std::optional<TargetResult> parse_target_result(std::string_view token) {
  for (const Texts& entry : kTexts) {
    if (entry.token == token) {
      return entry.result;
    }
  }
  return std::nullopt;
}

bool is_serving(TargetResult result) {
  return result == TargetResult::InSync || result == TargetResult::Bound ||
         result == TargetResult::Resolving;
}

bool is_failure(TargetResult result) {
  return result == TargetResult::Failed || result == TargetResult::Invalid ||
         result == TargetResult::Refused || result == TargetResult::Drift;
}

bool is_success(TargetResult result) {
  return result == TargetResult::InSync || result == TargetResult::Bound ||
         result == TargetResult::WouldBind || result == TargetResult::WouldUpdate;
}

}  // namespace apig_certd::state
