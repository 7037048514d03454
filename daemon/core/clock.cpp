#include "daemon/core/clock.h"

#include <thread>

namespace apig_certd {

bool SystemClock::sleep_for(Duration duration, StopSignal* stop) const {
  if (stop == nullptr) {
    std::this_thread::sleep_for(duration);
    return true;
  }
  return stop->wait_for(duration);
}

}  // namespace apig_certd
