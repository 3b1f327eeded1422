// Built only without the CUDA backend (AGF_CUDA=OFF, or no nvcc): tests/cuda needs CUDA headers and is not
// compiled then, so this one test says so visibly instead of the CUDA suite silently vanishing.
#include <gtest/gtest.h>

TEST(Cuda, NotCompiledInThisBuild) {
  GTEST_SKIP() << "this build has no CUDA backend (AGF_CUDA=OFF or no nvcc found): the CUDA parity, graph and "
                  "determinism tests in tests/cuda were not compiled";
}
