#include "daemon/core/error.h"

#include <cerrno>

#include <gtest/gtest.h>

#include "daemon/core/result.h"

namespace apig_certd {
namespace {

TEST(Error, RendersContextOutermostFirst) {
  Error error = Error::from_errno("inotify_add_watch", EACCES)
                    .with_context("watching '/etc/ssl/private'")
                    .with_context("starting the watcher");
  EXPECT_EQ(error.to_string(),
            "starting the watcher: watching '/etc/ssl/private': inotify_add_watch: "
            "Permission denied");
  EXPECT_EQ(error.code(), ErrorCode::PermissionDenied);
  EXPECT_EQ(error.errnum(), EACCES);
  ASSERT_EQ(error.context().size(), 2U);
  EXPECT_EQ(error.context().front(), "starting the watcher");
  EXPECT_EQ(error.message(), "inotify_add_watch: Permission denied");
}

TEST(Error, MapsErrnoToCodesThatDecideRetry) {
  EXPECT_EQ(Error::from_errno("open", ENOENT).code(), ErrorCode::NotFound);
  EXPECT_EQ(Error::from_errno("connect", ECONNREFUSED).code(), ErrorCode::Unavailable);
  EXPECT_EQ(Error::from_errno("connect", ETIMEDOUT).code(), ErrorCode::Timeout);
  EXPECT_EQ(Error::from_errno("open", ELOOP).code(), ErrorCode::InvalidArgument);
  EXPECT_TRUE(is_retryable(ErrorCode::Unavailable));
  EXPECT_TRUE(is_retryable(ErrorCode::Timeout));
  EXPECT_FALSE(is_retryable(ErrorCode::ParseError));
  EXPECT_FALSE(is_retryable(ErrorCode::InvalidArgument));
}

TEST(Error, PlainErrorHasNoErrno) {
  const Error error(ErrorCode::ParseError, "bad PEM");
  EXPECT_FALSE(error.errnum().has_value());
  EXPECT_EQ(error.to_string(), "bad PEM");
  EXPECT_EQ(to_string(error.code()), "ParseError");
}

TEST(ErrnoText, IsThreadSafeStrerror) {
  EXPECT_EQ(errno_text(ENOENT), "No such file or directory");
}

Result<int> half(int value) {
  if (value % 2 != 0) {
    return fail(ErrorCode::InvalidArgument, "odd");
  }
  return value / 2;
}

TEST(Result, CarriesValueOrError) {
  const Result<int> good = half(4);
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(*good, 2);
  const Result<int> bad = half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "odd");
}

}  // namespace
}  // namespace apig_certd

namespace apig_certd {
namespace {

TEST(Error, FieldsAreSetReplacedAndRead) {
  Error error = Error(ErrorCode::InvalidArgument, "refused")
                    .with_field("http_status", "400")
                    .with_field("apig_error_code", "APIG.2051");
  error.with_field("http_status", "409");
  EXPECT_EQ(error.field("http_status"), "409");
  EXPECT_EQ(error.field("apig_error_code"), "APIG.2051");
  EXPECT_FALSE(error.field("missing").has_value());
  EXPECT_EQ(error.fields().size(), 2U);
  EXPECT_EQ(error.to_string(), "refused");  // Fields are for programs, not the message.
}

}  // namespace
}  // namespace apig_certd
