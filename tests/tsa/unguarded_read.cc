// tests/tsa/unguarded_read.cc: the negative check of the thread-safety build
// (`tools/dev clang`). Compiled only for its diagnostics: with
// -DTALLY_TSA_LOCKED it reads the member under its mutex and compiles; without
// it, clang -Wthread-safety -Werror must reject the read.
#include "engine/core/thread_annotations.h"

namespace {

class Counter {
 public:
  int read() {
#ifdef TALLY_TSA_LOCKED
    tally::MutexLock lock(mu_);
#endif
    return value_;
  }

 private:
  tally::Mutex mu_;
  int value_ GUARDED_BY(mu_) = 0;
};

}  // namespace

int main() { return Counter().read(); }
