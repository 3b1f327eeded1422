// CPU-only builds: the GPU mel path reports that it is absent (mel_gpu_cuda.cpp replaces this).
#ifndef AGF_HAVE_CUDA
#include "agf/audio/mel_gpu.h"

#include "util/error.h"

namespace agf {

bool mel_gpu_available() { return false; }

std::vector<std::vector<float>> mel_frames_batch_gpu(const std::vector<const std::vector<float>*>&, const MelParams&) {
  throw DeviceError("mel: this agf was built without CUDA (configure with -DAGF_CUDA=ON)");
}

}  // namespace agf
#endif
