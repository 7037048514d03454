#include "daemon/engine/bind.h"

#include "daemon/apig/api_error.h"

namespace apig_certd::engine {

namespace {

enum class Step { Send, Update, Refused, MakeRoom, BackOff, ReRead, Superseded, Done, Failed };

class BindMachine {
 public:
  BindMachine(const BindJob& job, const apig::CertificateUpload& upload, apig::Client& client,
              RetryBudget& retry)
      : job_(job),
        upload_(upload),
        client_(client),
        retry_(retry),
        bound_ssl_id_(job.bound_ssl_id),
        step_(job.update && !job.bound_ssl_id.empty() ? Step::Update : Step::Send) {}

  BindResult run() {
    while (step_ != Step::Done && step_ != Step::Failed) {
      step_ = next();
    }
    if (step_ == Step::Failed) {
      result_.error = std::move(error_);
    }
    return std::move(result_);
  }

 private:
  Step next() {
    switch (step_) {
      case Step::Send:
        return send();
      case Step::Update:
        return update();
      case Step::Refused:
        return refused();
      case Step::MakeRoom:
        return make_room();
      case Step::BackOff:
        return back_off();
      case Step::ReRead:
        return reread() ? after_written() : Step::Send;
      case Step::Superseded:
        return detach_superseded();
      case Step::Done:
      case Step::Failed:
        break;
    }
    return step_;
  }

  Step send() {
    if (!job_.attach_id.empty()) {
      return attach();
    }
    count(true);
    Result<apig::BoundDomain> bound = client_.bind_certificate(
        job_.target->instance_id, job_.target->group_id, job_.domain_id, upload_);
    if (bound) {
      result_.written = true;
      result_.ssl_id = bound->ssl_id;
      result_.bound_name = bound->ssl_name.empty() ? job_.certificate_name : bound->ssl_name;
      result_.cname = bound->status;
      return Step::Done;
    }
    error_ = std::move(bound.error());
    if (apig::apig_error(*error_) == apig::ApigError::DomainHasCertificate) {
      return Step::Refused;
    }
    return after_failure(Step::Send);
  }

  Step attach() {
    count(true);
    const settings::TargetSettings& target = *job_.target;
    Result<void> attached =
        client_.attach_certificate(target.instance_id, target.group_id, job_.domain_id,
                                   job_.attach_id, job_.client_verification);
    if (attached) {
      result_.written = true;
      result_.ssl_id = job_.attach_id;
      result_.bound_name = job_.certificate_name;
      return after_written();  // 204 has no body: the CNAME poll reads the status.
    }
    error_ = std::move(attached.error());
    if (apig::apig_error(*error_) == apig::ApigError::DomainHasCertificate) {
      return Step::Refused;
    }
    return after_failure(Step::Send);
  }

  // An attach leaves what it supersedes bound beside it, unless APIG replaced it: detach it,
  // unless it is foreign and drift = "report".
  Step after_written() {
    const bool superseded = !job_.attach_id.empty() && !bound_ssl_id_.empty() &&
                            bound_ssl_id_ != job_.attach_id && job_.make_room != MakeRoom::Refuse;
    return superseded ? Step::Superseded : Step::Done;
  }

  Step detach_superseded() {
    count(true);
    const settings::TargetSettings& target = *job_.target;
    Result<void> done = client_.detach_certificate(target.instance_id, target.group_id,
                                                   job_.domain_id, bound_ssl_id_);
    if (done) {
      result_.detached.push_back(bound_ssl_id_);
      return Step::Done;
    }
    if (done.error().code() == ErrorCode::NotFound) {
      return Step::Done;  // The attach replaced it.
    }
    error_ = std::move(done.error());
    if (is_retryable(error_->code())) {
      retry_step_ = Step::Superseded;
      return Step::BackOff;
    }
    return superseded_kept();
  }

  Step superseded_kept() {
    result_.warnings.push_back(
        "'" + job_.certificate_name + "' is attached, but the certificate " + bound_ssl_id_ +
        " it supersedes is still bound to the domain: " + error_->to_string());
    error_.reset();
    return Step::Done;
  }

  Step update() {
    count(false);
    Result<apig::Certificate> current = client_.get_certificate(bound_ssl_id_);
    if (!current) {
      error_ = std::move(current.error());
      return error_->code() == ErrorCode::NotFound ? object_gone() : after_failure(Step::Update);
    }
    if (current->has_trusted_root_ca && upload_.trusted_root_ca.empty()) {
      error_ = Error(ErrorCode::InvalidArgument,
                     "certificate object " + bound_ssl_id_ +
                         " carries a CA for client certificates (mTLS); rewriting it without "
                         "client_ca would drop it; nothing written");
      return Step::Failed;
    }
    count(true);
    Result<apig::Certificate> updated =
        client_.update_certificate(bound_ssl_id_, upload_, *current);
    if (updated) {
      result_.written = true;
      result_.ssl_id = bound_ssl_id_;
      result_.bound_name = job_.certificate_name;
      return Step::Done;
    }
    error_ = std::move(updated.error());
    return error_->code() == ErrorCode::NotFound ? object_gone() : after_failure(Step::Update);
  }

  // The object to update was deleted (in the console): bind afresh, unless the domain
  // verifies client certificates, which the one-step bind would switch off.
  Step object_gone() {
    if (job_.client_verification) {
      error_->with_context("certificate object " + bound_ssl_id_ +
                           " is gone and a new bind cannot carry client_ca (mTLS); nothing "
                           "written");
      return Step::Failed;
    }
    bound_ssl_id_.clear();
    return Step::Send;
  }

  // A failed write: back off and try `again` while the error is transient.
  Step after_failure(Step again) {
    if (!is_retryable(error_->code())) {
      return Step::Failed;
    }
    maybe_written_ = maybe_written_ || (again == Step::Send && apig::outcome_unknown(*error_));
    retry_step_ = again;
    return Step::BackOff;
  }

  Step back_off() {
    if (!retry_.back_off(attempt_++, *error_)) {
      error_->with_context(retry_.giving_up());
      return retry_step_ == Step::Superseded ? superseded_kept() : Step::Failed;
    }
    // A PUT is idempotent; a POST whose outcome is unknown, or with replicas, re-reads first.
    return retry_step_ == Step::Send && (maybe_written_ || job_.replicas) ? Step::ReRead
                                                                          : retry_step_;
  }

  Step refused() {
    // An earlier attempt whose outcome was unknown may have landed, or another instance
    // bound it: if ours is bound, the write is done.
    if ((maybe_written_ || job_.replicas) && reread()) {
      return after_written();
    }
    if (bound_ssl_id_.empty()) {
      return Step::Failed;
    }
    if (job_.make_room == MakeRoom::Refuse) {
      error_->with_context("the domain's slot for our key's algorithm holds '" + job_.bound_name +
                           "', which apig-certd did not create; not detaching it because "
                           "drift = \"report\"");
      return Step::Failed;
    }
    return Step::MakeRoom;
  }

  Step make_room() {
    count(true);
    const bool remove = job_.make_room == MakeRoom::Delete;
    const settings::TargetSettings& target = *job_.target;
    Result<void> done = remove
                            ? client_.delete_bound_certificate(target.instance_id, target.group_id,
                                                               job_.domain_id, bound_ssl_id_)
                            : client_.detach_certificate(target.instance_id, target.group_id,
                                                         job_.domain_id, bound_ssl_id_);
    if (!done && done.error().code() != ErrorCode::NotFound) {
      error_ =
          std::move(done.error()).with_context("replacing certificate '" + job_.bound_name + "'");
      return Step::Failed;
    }
    (remove ? result_.deleted : result_.detached).push_back(bound_ssl_id_);
    bound_ssl_id_.clear();
    return job_.replicas ? Step::ReRead : Step::Send;
  }

  // Reads the group: true when the desired certificate is bound (then the write is done).
  bool reread() {
    count(false);
    Result<apig::Group> group = client_.get_group(job_.target->instance_id, job_.target->group_id);
    const apig::UrlDomain* domain = group ? find_domain(*group, *job_.target) : nullptr;
    std::optional<std::string> ssl_id =
        domain == nullptr ? std::nullopt : bound_ssl_id(*domain, job_.certificate_name);
    if (!ssl_id) {
      return false;
    }
    result_.written = true;
    result_.ssl_id = std::move(*ssl_id);
    result_.bound_name = job_.certificate_name;
    result_.cname = domain->cname_status;
    return true;
  }

  void count(bool write) {
    ++result_.requests;
    result_.writes += write ? 1 : 0;
  }

  const BindJob& job_;
  const apig::CertificateUpload& upload_;
  apig::Client& client_;
  RetryBudget& retry_;
  std::string bound_ssl_id_;  // what is still bound that a refused POST may make room from
  Step step_;
  Step retry_step_ = Step::Send;
  int attempt_ = 0;
  bool maybe_written_ = false;
  std::optional<Error> error_;
  BindResult result_;
};

}  // namespace

BindResult run_bind(const BindJob& job, const apig::CertificateUpload& upload, apig::Client& client,
                    RetryBudget& retry) {
  return BindMachine(job, upload, client, retry).run();
}

const apig::UrlDomain* find_domain(const apig::Group& group,
                                   const settings::TargetSettings& target) {
  return target.domain_id.empty() ? group.find_domain_by_name(target.domain)
                                  : group.find_domain_by_id(target.domain_id);
}

std::optional<std::string> bound_ssl_id(const apig::UrlDomain& domain, std::string_view name) {
  if (domain.ssl_name == name) {
    return domain.ssl_id;
  }
  for (const apig::SslInfo& info : domain.ssl_infos) {
    if (info.ssl_name == name) {
      return info.ssl_id;
    }
  }
  return std::nullopt;
}

}  // namespace apig_certd::engine
