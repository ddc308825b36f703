#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <signal.h>

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);  // a child that exits early must not kill the test
  doctest::Context context(argc, argv);
  return context.run();
}
