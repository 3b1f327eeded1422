// safetensors reading and writing on raw bytes (https://github.com/huggingface/safetensors):
// [u64 little-endian header length N][N bytes of UTF-8 JSON, space-padded to 8][data buffer].
// The reader memory-maps the file and validates everything before it returns; the writer is atomic.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace agf {

enum class StDType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

const char* st_dtype_name(StDType t);                            // "F64", "F32", ... as in the file
size_t st_dtype_size(StDType t);                                 // bytes per element
bool st_dtype_from_name(const std::string& name, StDType* out);  // false when unknown

// A tensor's bytes in C order, little-endian. `data` is borrowed: for views returned by
// SafetensorsFile it points into the mapping and lives as long as the SafetensorsFile.
struct StView {
  std::string name;
  StDType dtype = StDType::F32;
  std::vector<int64_t> shape;  // [] is a scalar (one element); a 0 dim makes it empty
  const void* data = nullptr;
  size_t nbytes = 0;
};

// Writes `tensors` to `path` atomically (util/fs.h). Tensors are laid out as the reference
// implementation does: by dtype alignment (descending), then by name. Throws UsageError for
// duplicate or empty names, a "__metadata__" tensor, or nbytes != product(shape) * dtype size;
// IOError when the file cannot be written.
void write_safetensors(const std::string& path, const std::vector<StView>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// The same bytes in memory (what write_safetensors writes).
std::string serialize_safetensors(const std::vector<StView>& tensors,
                                  const std::map<std::string, std::string>& metadata = {});

class SafetensorsFile {
 public:
  // Maps `path` read-only and validates the header and every entry. Throws IOError when the file
  // cannot be opened or mapped, FormatError (naming the file and the problem) for any malformed
  // content.
  static SafetensorsFile open(const std::string& path);

  SafetensorsFile(SafetensorsFile&& other) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&& other) noexcept;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;
  ~SafetensorsFile();

  const std::string& path() const { return path_; }
  std::vector<std::string> names() const;  // in data-offset order
  bool has(const std::string& name) const;
  StView get(const std::string& name) const;  // FormatError naming the tensor when missing
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  SafetensorsFile() = default;
  struct Entry {
    StDType dtype;
    std::vector<int64_t> shape;
    size_t begin, end;  // offsets in the data buffer
  };
  void unmap();

  std::string path_;
  void* map_ = nullptr;  // whole file
  size_t map_size_ = 0;
  const unsigned char* data_ = nullptr;  // start of the data buffer
  std::map<std::string, Entry> entries_;
  std::vector<std::string> order_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace agf
