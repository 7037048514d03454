#include "daemon/app/metrics.h"

#include <functional>

#include "daemon/sys/atomic_file.h"

namespace apig_certd::app {

namespace {

// Label values escape backslash, double quote and newline (the text exposition format).
std::string escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string labels(const state::TargetState& target, std::string_view extra = "") {
  const std::string domain = target.domain.empty() ? "id:" + target.domain_id : target.domain;
  std::string text = "{binding=\"" + escape(target.binding) + "\",domain=\"" + escape(domain) +
                     "\",instance_id=\"" + escape(target.instance_id) + "\",group_id=\"" +
                     escape(target.group_id) + "\"";
  text += extra;
  text += '}';
  return text;
}

long long seconds(SystemTime time) {
  return std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
}

class Writer {
 public:
  // One metric family: its HELP and TYPE lines, then a sample per target that has a value.
  void family(const std::string& name, const std::string& type, const std::string& help,
              const state::State& state,
              const std::function<void(const state::TargetState&, const std::string&)>& each) {
    text_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    for (const auto& [key, target] : state.targets) {
      each(target, name);
    }
  }
  void sample(const std::string& name, const std::string& label_text, long long value) {
    text_ += name + label_text + " " + std::to_string(value) + "\n";
  }
  void single(const std::string& name, const std::string& type, const std::string& help,
              long long value) {
    text_ += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    sample(name, "", value);
  }
  std::string take() { return std::move(text_); }

 private:
  std::string text_;
};

}  // namespace

std::string render_metrics(const settings::Settings& config, const state::State& state,
                           bool apig_reachable, SystemTime now) {
  Writer out;
  out.single("apig_certd_up", "gauge", "1 when the last pass could read APIG.",
             apig_reachable ? 1 : 0);
  out.single("apig_certd_last_pass_timestamp_seconds", "gauge",
             "When the last pass ended (Unix time).", seconds(now));
  out.family("apig_certd_certificate_not_after_timestamp_seconds", "gauge",
             "notAfter of the certificate on disk (Unix time).", state,
             [&](const state::TargetState& target, const std::string& name) {
               if (target.disk_not_after) {
                 out.sample(name, labels(target), seconds(*target.disk_not_after));
               }
             });
  out.family("apig_certd_bound_certificate_not_after_timestamp_seconds", "gauge",
             "notAfter of the certificate apig-certd bound (Unix time).", state,
             [&](const state::TargetState& target, const std::string& name) {
               if (target.bound_not_after) {
                 out.sample(name, labels(target), seconds(*target.bound_not_after));
               }
             });
  out.family("apig_certd_target_in_sync", "gauge",
             "1 when the newest valid certificate is bound and its CNAME resolved.", state,
             [&](const state::TargetState& target, const std::string& name) {
               const bool in_sync = target.last_result == state::TargetResult::InSync ||
                                    target.last_result == state::TargetResult::Bound;
               out.sample(name, labels(target), in_sync ? 1 : 0);
             });
  out.family("apig_certd_certificate_expiring", "gauge",
             "1 when the certificate on disk expires within renew_warning.", state,
             [&](const state::TargetState& target, const std::string& name) {
               if (target.disk_not_after) {
                 const bool expiring = *target.disk_not_after < now + config.daemon.renew_warning;
                 out.sample(name, labels(target), expiring ? 1 : 0);
               }
             });
  out.family("apig_certd_cname_status", "gauge",
             "APIG's CNAME status of the domain: 1 not resolved, 2 resolving, 3 resolved, 4 "
             "failed, 0 unknown.",
             state, [&](const state::TargetState& target, const std::string& name) {
               out.sample(name, labels(target), target.cname_status);
             });
  out.family("apig_certd_bind_total", "counter", "Certificate writes to the domain, by result.",
             state, [&](const state::TargetState& target, const std::string& name) {
               out.sample(name, labels(target, ",result=\"success\""), target.bind_successes);
               out.sample(name, labels(target, ",result=\"failure\""), target.bind_failures);
             });
  out.family("apig_certd_consecutive_failures", "gauge",
             "Failed passes for the target since it was last in sync.", state,
             [&](const state::TargetState& target, const std::string& name) {
               out.sample(name, labels(target), target.consecutive_failures);
             });
  out.family("apig_certd_last_success_timestamp_seconds", "gauge",
             "When a pass last left the target in sync (Unix time).", state,
             [&](const state::TargetState& target, const std::string& name) {
               if (target.last_success) {
                 out.sample(name, labels(target), seconds(*target.last_success));
               }
             });
  return out.take();
}

Result<void> write_metrics(const settings::Settings& config, const state::State& state,
                           bool apig_reachable, SystemTime now) {
  if (config.daemon.metrics_file.empty()) {
    return {};
  }
  return sys::write_file_atomically(config.daemon.metrics_file,
                                    render_metrics(config, state, apig_reachable, now), 0644);
}

}  // namespace apig_certd::app
