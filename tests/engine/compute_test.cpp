// engine/compute.h: the one place a --device string becomes a device. A bad string is a UsageError and
// --device cuda without CUDA a DeviceError, both naming the command and saying why; "auto" and AGF_DEVICE.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "engine/compute.h"
#include "engine/device.h"

namespace agf {
namespace {

// Sets AGF_DEVICE for one scope (unset: nullptr), restoring what was there.
class ScopedDeviceEnv {
 public:
  explicit ScopedDeviceEnv(const char* v) {
    const char* old = std::getenv("AGF_DEVICE");
    had_ = old != nullptr;
    if (had_) old_ = old;
    if (v)
      setenv("AGF_DEVICE", v, 1);
    else
      unsetenv("AGF_DEVICE");
  }
  ~ScopedDeviceEnv() {
    if (had_)
      setenv("AGF_DEVICE", old_.c_str(), 1);
    else
      unsetenv("AGF_DEVICE");
  }

 private:
  bool had_ = false;
  std::string old_;
};

std::string message_of(const std::string& device, const std::string& command) {
  try {
    resolve_device(device, command);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Compute, CpuHasNoContext) {
  ScopedDeviceEnv env(nullptr);
  EXPECT_EQ(resolve_device("cpu"), Device::CPU);
  const Compute c = open_compute("cpu");
  EXPECT_EQ(c.device, Device::CPU);
  EXPECT_EQ(c.cuda, nullptr);
  EXPECT_EQ(c.describe().rfind("CPU (", 0), 0u) << c.describe();
}

TEST(Compute, UnknownDeviceIsAUsageErrorNamingTheCommand) {
  ScopedDeviceEnv env(nullptr);
  EXPECT_THROW(resolve_device("gpu", "prepare"), UsageError);
  EXPECT_THROW(open_compute("tpu", true, "factors"), UsageError);
  const std::string m = message_of("tpu", "prepare");
  EXPECT_NE(m.find("prepare: --device"), std::string::npos) << m;
  EXPECT_NE(m.find("'tpu'"), std::string::npos) << m;
  EXPECT_EQ(message_of("tpu", "").rfind("--device", 0), 0u) << message_of("tpu", "");
}

TEST(Compute, CudaWithoutADeviceIsADeviceErrorSayingWhy) {
  if (cuda_devices() > 0) GTEST_SKIP() << "a CUDA device is visible (tests/cuda opens it)";
  ScopedDeviceEnv env(nullptr);
  EXPECT_THROW(resolve_device("cuda", "factors"), DeviceError);
  EXPECT_THROW(open_compute("cuda", true, "train"), DeviceError);
  const std::string m = message_of("cuda", "prepare");
  EXPECT_NE(m.find("prepare: --device cuda"), std::string::npos) << m;
  EXPECT_NE(m.find(cuda_compiled() ? "no CUDA device is visible" : "built without CUDA"), std::string::npos) << m;
  // auto falls back to the CPU.
  EXPECT_EQ(resolve_device("auto", "prepare"), Device::CPU);
  EXPECT_EQ(open_compute("auto").device, Device::CPU);
}

TEST(Compute, AutoDefersToAgfDevice) {
  {
    ScopedDeviceEnv env("cpu");
    EXPECT_EQ(resolve_device("auto"), Device::CPU);
  }
  {
    ScopedDeviceEnv env("tpu");
    EXPECT_THROW(resolve_device("auto", "train"), UsageError);
    EXPECT_EQ(resolve_device("cpu", "train"), Device::CPU);  // an explicit --device wins
    EXPECT_NE(message_of("auto", "train").find("AGF_DEVICE"), std::string::npos);
  }
  if (cuda_devices() == 0) {
    ScopedDeviceEnv env("cuda");
    EXPECT_THROW(resolve_device("auto", "embed"), DeviceError);
  }
}

}  // namespace
}  // namespace agf
