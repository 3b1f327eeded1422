// agf info: build type, backends compiled in, devices found, library versions.
#include "apps/command.h"
#include "kernels/isa.h"
#include "agf_build_info.h"
#include "engine/device.h"
#include <Eigen/Core>
#include <fftw3.h>
#include <sndfile.h>
#include <soxr.h>
#include <cstdio>
#include <thread>
#include <omp.h>
#ifdef AGF_HAVE_CUDA
#include "kernels/cuda_ctx.h"
#endif

AGF_COMMAND("info", "build type, backends, devices and library versions", [](CLI::App&) {
  return []() {
    std::printf("agf %s (%s build, %s)\n", AGF_VERSION_STRING, AGF_BUILD_TYPE, AGF_CXX_COMPILER);
    std::printf("backends: cpu%s\n", agf::cuda_compiled() ? " cuda" : "");
    std::printf("cpu: %u hardware threads, OpenMP max threads %d\n", std::thread::hardware_concurrency(),
                omp_get_max_threads());
    std::printf("cpu kernels: %s\n", agf::cpu_isa_summary().c_str());
    std::printf("eigen %d.%d.%d, %s, %s, soxr %s\n", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION,
                fftwf_version, sf_version_string(), soxr_version());
#ifdef AGF_HAVE_CUDA
    std::printf("cuda architectures compiled: %s, cuDNN at build time %s\n", AGF_CUDA_ARCHITECTURES,
                AGF_CUDNN_VERSION_BUILT);
    int n = agf::cuda_devices();
    if (n == 0 && agf::cuda_device_count_error() != cudaSuccess)
      std::printf("cuda devices: 0 (%s)\n", agf::cuda_error_text(agf::cuda_device_count_error()).c_str());
    else
      std::printf("cuda devices: %d\n", n);
    for (int i = 0; i < n; ++i) std::printf("  [%d] %s\n", i, agf::cuda_device_summary(i).c_str());
#else
    std::printf("cuda: not compiled in (configure with -DAGF_CUDA=ON)\n");
#endif
    return 0;
  };
});
