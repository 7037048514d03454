#include "daemon/engine/certificate_object.h"

#include "daemon/apig/api_error.h"

namespace apig_certd::engine {

namespace {

enum class ObjectStep { Create, Find, BackOff, Done, Failed };

class ObjectMachine {
 public:
  ObjectMachine(const ObjectJob& job, const apig::CertificateUpload& upload, apig::Client& client,
                RetryBudget& retry)
      : job_(job), upload_(upload), client_(client), retry_(retry) {}

  ObjectResult run() {
    while (step_ != ObjectStep::Done && step_ != ObjectStep::Failed) {
      step_ = next();
    }
    if (step_ == ObjectStep::Failed) {
      result_.error = std::move(error_);
    }
    return std::move(result_);
  }

 private:
  ObjectStep next() {
    switch (step_) {
      case ObjectStep::Create:
        return create();
      case ObjectStep::Find:
        return find();
      case ObjectStep::BackOff:
        return back_off();
      case ObjectStep::Done:
      case ObjectStep::Failed:
        break;
    }
    return step_;
  }

  ObjectStep create() {
    ++result_.requests;
    ++result_.writes;
    apig::Certificate shape;
    shape.type = "instance";
    shape.instance_id = job_.instance_id;
    shape.algorithm_type = job_.algorithm_type;
    Result<apig::Certificate> created = client_.create_certificate(upload_, shape);
    if (created) {
      result_.id = created->id;
      result_.created = true;
      return ObjectStep::Done;
    }
    error_ = std::move(created.error());
    if (apig::apig_error(*error_) == apig::ApigError::NameExists) {
      name_exists_ = true;
      return ObjectStep::Find;
    }
    if (!is_retryable(error_->code())) {
      return ObjectStep::Failed;
    }
    maybe_created_ = maybe_created_ || apig::outcome_unknown(*error_);
    return ObjectStep::BackOff;
  }

  ObjectStep find() {
    ++result_.requests;
    Result<std::optional<apig::Certificate>> found =
        client_.find_certificate(upload_.name, job_.instance_id);
    if (!found) {
      error_ = std::move(found.error());
      return is_retryable(error_->code()) ? ObjectStep::BackOff : ObjectStep::Failed;
    }
    if (*found) {
      result_.id = (*found)->id;
      return ObjectStep::Done;
    }
    if (name_exists_) {
      error_->with_context("APIG says an object named '" + std::string(upload_.name) +
                           "' exists, yet instance '" + job_.instance_id +
                           "' has none of that name (are names unique across the project? "
                           "then one binding cannot attach on two instances)");
      return ObjectStep::Failed;
    }
    maybe_created_ = false;  // The earlier create did not land: send it again.
    return ObjectStep::Create;
  }

  ObjectStep back_off() {
    if (!retry_.back_off(attempt_++, *error_)) {
      error_->with_context(retry_.giving_up());
      return ObjectStep::Failed;
    }
    return maybe_created_ || name_exists_ ? ObjectStep::Find : ObjectStep::Create;
  }

  const ObjectJob& job_;
  const apig::CertificateUpload& upload_;
  apig::Client& client_;
  RetryBudget& retry_;
  ObjectStep step_ = ObjectStep::Create;
  int attempt_ = 0;
  bool maybe_created_ = false;  // a create's outcome was unknown: look before sending again
  bool name_exists_ = false;    // APIG answered APIG.3325
  std::optional<Error> error_;
  ObjectResult result_;
};

}  // namespace

ObjectResult ensure_certificate_object(const ObjectJob& job, const apig::CertificateUpload& upload,
                                       apig::Client& client, RetryBudget& retry) {
  return ObjectMachine(job, upload, client, retry).run();
}

}  // namespace apig_certd::engine
