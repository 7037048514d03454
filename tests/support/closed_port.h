#pragma once

// A loopback TCP port on which nothing listens, for tests of a peer that is down (a webhook,
// a TLS probe target): bound once to learn a free number, then closed. Another process could
// take it in between, which on a test machine does not happen in practice.

namespace apig_certd::testing {

// The port number; ADD_FAILURE() (and 0) when no socket could be bound.
int closed_port();

}  // namespace apig_certd::testing
