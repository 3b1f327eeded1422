// safetensors reader (mmap + full validation) and atomic writer. The checks follow the reference
// Rust crate (huggingface/safetensors, tensor.rs: header <= 100 MB, offsets contiguous from 0 and
// covering the buffer, span == numel * dtype size, checked overflow) plus duplicate-key detection.
#include "engine/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "util/error.h"
#include "util/fs.h"

namespace agf {
namespace {

constexpr uint64_t kMaxHeader = 100000000;  // as the reference implementation (100 MB)

struct DTypeInfo {
  StDType t;
  const char* name;
  size_t size;
  int rank;  // the reference crate's Dtype order (increasing alignment); layout sorts descending
};
const DTypeInfo kDTypes[] = {
    {StDType::F64, "F64", 8, 12},  {StDType::F32, "F32", 4, 11}, {StDType::F16, "F16", 2, 7},
    {StDType::BF16, "BF16", 2, 8}, {StDType::I64, "I64", 8, 13}, {StDType::I32, "I32", 4, 9},
    {StDType::I16, "I16", 2, 5},   {StDType::I8, "I8", 1, 2},    {StDType::U8, "U8", 1, 1},
    {StDType::BOOL, "BOOL", 1, 0},
};
const DTypeInfo& info(StDType t) {
  for (const auto& d : kDTypes)
    if (d.t == t) return d;
  throw DTypeError(str("safetensors: invalid StDType value ", static_cast<int>(t)));
}

// numel * size with overflow detection; false on overflow.
bool span_bytes(const std::vector<int64_t>& shape, size_t elem, uint64_t* out) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return false;
    uint64_t ud = static_cast<uint64_t>(d);
    if (ud != 0 && n > std::numeric_limits<uint64_t>::max() / ud) return false;
    n *= ud;
  }
  if (n > std::numeric_limits<uint64_t>::max() / elem) return false;
  *out = n * elem;
  return true;
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

std::string json_string(const std::string& s, const char* what) {
  try {
    return nlohmann::json(s).dump();
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(str("write_safetensors: ", what, " is not valid UTF-8: ", e.what()));
  }
}

// The header (JSON + space padding, so that 8 + its length is a multiple of 8) and the layout order.
std::string build_header(const std::vector<StView>& tensors, const std::map<std::string, std::string>& metadata,
                         std::vector<const StView*>* order) {
  order->clear();
  std::set<std::string> seen;
  for (const auto& t : tensors) {
    AGF_CHECK(t.name != "__metadata__", UsageError, "write_safetensors: '__metadata__' is reserved, not a tensor name");
    AGF_CHECK(seen.insert(t.name).second, UsageError, "write_safetensors: duplicate tensor name '", t.name, "'");
    uint64_t want = 0;
    AGF_CHECK(span_bytes(t.shape, info(t.dtype).size, &want), UsageError, "write_safetensors: tensor '", t.name,
              "' has a negative dimension or overflows: shape ", shape_str(t.shape));
    AGF_CHECK(want == t.nbytes, UsageError, "write_safetensors: tensor '", t.name, "' ", info(t.dtype).name, " ",
              shape_str(t.shape), " needs ", want, " bytes but has ", t.nbytes);
    AGF_CHECK(t.data != nullptr || t.nbytes == 0, UsageError, "write_safetensors: tensor '", t.name, "' has no data");
    order->push_back(&t);
  }
  std::sort(order->begin(), order->end(), [](const StView* a, const StView* b) {
    int ra = info(a->dtype).rank, rb = info(b->dtype).rank;
    if (ra != rb) return ra > rb;
    return a->name < b->name;
  });
  std::string h = "{";
  bool first = true;
  if (!metadata.empty()) {
    h += "\"__metadata__\":{";
    for (const auto& kv : metadata) {
      if (!first) h += ",";
      first = false;
      h += json_string(kv.first, "a metadata key") + ":" + json_string(kv.second, "a metadata value");
    }
    h += "}";
    first = false;
  }
  uint64_t offset = 0;
  for (const StView* t : *order) {
    if (!first) h += ",";
    first = false;
    h += json_string(t->name, "a tensor name") + ":{\"dtype\":\"" + info(t->dtype).name +
         "\",\"shape\":" + shape_str(t->shape) + ",\"data_offsets\":[" + std::to_string(offset) + "," +
         std::to_string(offset + t->nbytes) + "]}";
    offset += t->nbytes;
  }
  h += "}";
  h.append((8 - h.size() % 8) % 8, ' ');
  return h;
}

void put_u64(unsigned char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

}  // namespace

const char* st_dtype_name(StDType t) { return info(t).name; }
size_t st_dtype_size(StDType t) { return info(t).size; }
bool st_dtype_from_name(const std::string& name, StDType* out) {
  for (const auto& d : kDTypes)
    if (name == d.name) {
      *out = d.t;
      return true;
    }
  return false;
}

std::string serialize_safetensors(const std::vector<StView>& tensors,
                                  const std::map<std::string, std::string>& metadata) {
  std::vector<const StView*> order;
  std::string h = build_header(tensors, metadata, &order);
  std::string out(8, '\0');
  put_u64(reinterpret_cast<unsigned char*>(&out[0]), h.size());
  out += h;
  for (const StView* t : order) out.append(static_cast<const char*>(t->data), t->nbytes);
  return out;
}

void write_safetensors(const std::string& path, const std::vector<StView>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<const StView*> order;
  std::string h = build_header(tensors, metadata, &order);
  unsigned char len[8];
  put_u64(len, h.size());
  write_file_atomic(path, [&](std::FILE* f) {
    write_all(f, len, 8, path);
    write_all(f, h.data(), h.size(), path);
    for (const StView* t : order) write_all(f, t->data, t->nbytes, path);
  });
}

// ---------------------------------------------------------------- reading

SafetensorsFile::SafetensorsFile(SafetensorsFile&& o) noexcept { *this = std::move(o); }

SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&& o) noexcept {
  if (this != &o) {
    unmap();
    path_ = std::move(o.path_);
    map_ = o.map_;
    map_size_ = o.map_size_;
    data_ = o.data_;
    entries_ = std::move(o.entries_);
    order_ = std::move(o.order_);
    metadata_ = std::move(o.metadata_);
    o.map_ = nullptr;
    o.map_size_ = 0;
    o.data_ = nullptr;
  }
  return *this;
}

SafetensorsFile::~SafetensorsFile() { unmap(); }

void SafetensorsFile::unmap() {
  if (map_) ::munmap(map_, map_size_);
  map_ = nullptr;
  map_size_ = 0;
}

namespace {

// The whole file mapped read-only, and its size: IOError when it cannot be opened, is no regular file or
// cannot be mapped; FormatError when it is shorter than the header length.
std::pair<void*, uint64_t> map_file(const std::string& path, const std::string& where) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IOError(str(where, "cannot open: ", std::strerror(errno)));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    throw IOError(str(where, "cannot stat: ", std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw IOError(str(where, "not a regular file"));
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    throw FormatError(str(where, "file is ", size, " bytes, shorter than the 8-byte header length"));
  }
  void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int err = errno;
  ::close(fd);
  if (m == MAP_FAILED) throw IOError(str(where, "cannot mmap ", size, " bytes: ", std::strerror(err)));
  return {m, size};
}

// The header's length (the first 8 bytes, little-endian), checked against the maximum and the file's size.
uint64_t header_length(const unsigned char* bytes, uint64_t size, const std::string& where) {
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(bytes[i]) << (8 * i);
  AGF_CHECK(n <= kMaxHeader, FormatError, where, "header length ", n, " exceeds the maximum of ", kMaxHeader, " bytes");
  AGF_CHECK(n <= size - 8, FormatError, where, "header length ", n, " runs past the end of the ", size, "-byte file");
  AGF_CHECK(n >= 2 && bytes[8] == '{', FormatError, where, "header does not start with '{'");
  return n;
}

// The header [hb, hb + n) parsed as a JSON object, refusing duplicate keys at any level (nlohmann keeps only
// one of them) and nesting deeper than a header goes.
nlohmann::json parse_header(const char* hb, uint64_t n, const std::string& where) {
  std::vector<std::set<std::string>> keys;
  std::string duplicate;
  auto cb = [&](int depth, nlohmann::json::parse_event_t ev, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    // {name: {"shape": [d, ...]}} is as deep as a valid header goes; refuse deeper nesting early
    // (a 100 MB header of nested objects would otherwise build a huge tree).
    if (depth > 3) throw FormatError(str(where, "header nests deeper than a safetensors header can"));
    if (ev == E::object_start) {
      keys.emplace_back();
    } else if (ev == E::object_end) {
      if (!keys.empty()) keys.pop_back();
    } else if (ev == E::key && !keys.empty()) {
      const std::string& k = parsed.get_ref<const std::string&>();
      if (!keys.back().insert(k).second && duplicate.empty()) duplicate = k;
    }
    return true;
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(hb, hb + n, cb);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(str(where, "header is not valid UTF-8 JSON: ", e.what()));
  }
  AGF_CHECK(duplicate.empty(), FormatError, where, "duplicate key '", duplicate, "' in the header");
  AGF_CHECK(j.is_object(), FormatError, where, "header is a JSON ", j.type_name(), ", not an object");
  return j;
}

// __metadata__: an object of strings.
void read_metadata(const nlohmann::json& v, const std::string& where, std::map<std::string, std::string>* out) {
  AGF_CHECK(v.is_object(), FormatError, where, "__metadata__ is a JSON ", v.type_name(), ", not an object");
  for (auto m2 = v.begin(); m2 != v.end(); ++m2) {
    AGF_CHECK(m2.value().is_string(), FormatError, where, "__metadata__ value of '", m2.key(), "' is a JSON ",
              m2.value().type_name(), ", not a string");
    (*out)[m2.key()] = m2.value().get<std::string>();
  }
}

// One tensor entry, validated: only dtype, shape and data_offsets; a known dtype; non-negative dimensions;
// offsets inside the data buffer of data_size bytes spanning exactly numel * dtype size.
// (Entry: SafetensorsFile's private entry type, with dtype, shape, begin and end.)
template <typename Entry>
Entry parse_entry(const std::string& name, const nlohmann::json& v, uint64_t data_size, const std::string& where) {
  const std::string tw = where + "tensor '" + name + "': ";
  AGF_CHECK(v.is_object(), FormatError, tw, "entry is a JSON ", v.type_name(), ", not an object");
  for (auto k = v.begin(); k != v.end(); ++k)
    AGF_CHECK(k.key() == "dtype" || k.key() == "shape" || k.key() == "data_offsets", FormatError, tw,
              "unexpected field '", k.key(), "'");
  AGF_CHECK(v.contains("dtype") && v["dtype"].is_string(), FormatError, tw, "missing or non-string 'dtype'");
  AGF_CHECK(v.contains("shape") && v["shape"].is_array(), FormatError, tw, "missing or non-array 'shape'");
  AGF_CHECK(v.contains("data_offsets") && v["data_offsets"].is_array(), FormatError, tw,
            "missing or non-array 'data_offsets'");
  Entry e;
  const std::string dt = v["dtype"].template get<std::string>();
  AGF_CHECK(st_dtype_from_name(dt, &e.dtype), FormatError, tw, "unknown dtype '", dt, "'");
  for (const auto& d : v["shape"]) {
    AGF_CHECK(d.is_number_integer(), FormatError, tw, "shape holds ", d.dump(), ", not an integer");
    AGF_CHECK(d.is_number_unsigned(), FormatError, tw, "negative dimension ", d.dump(), " in shape ",
              v["shape"].dump());
    uint64_t ud = d.template get<uint64_t>();
    AGF_CHECK(ud <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), FormatError, tw, "dimension ", ud,
              " is too large");
    e.shape.push_back(static_cast<int64_t>(ud));
  }
  const auto& off = v["data_offsets"];
  AGF_CHECK(off.size() == 2 && off[0].is_number_unsigned() && off[1].is_number_unsigned(), FormatError, tw,
            "data_offsets must be two non-negative integers, got ", off.dump());
  uint64_t b = off[0].template get<uint64_t>(), en = off[1].template get<uint64_t>();
  AGF_CHECK(b <= en, FormatError, tw, "data_offsets [", b, ",", en, "] end before they begin");
  AGF_CHECK(en <= data_size, FormatError, tw, "data_offsets [", b, ",", en, "] run past the ", data_size,
            "-byte data buffer");
  uint64_t want = 0;
  AGF_CHECK(span_bytes(e.shape, info(e.dtype).size, &want), FormatError, tw, "shape ", shape_str(e.shape),
            " overflows the element count");
  AGF_CHECK(en - b == want, FormatError, tw, dt, " ", shape_str(e.shape), " needs ", want, " bytes but data_offsets [",
            b, ",", en, "] span ", en - b);
  e.begin = static_cast<size_t>(b);
  e.end = static_cast<size_t>(en);
  return e;
}

// The tensor names in data-offset order, checking that the offsets tile [0, data_size) exactly: no gap,
// no overlap, nothing left over. (EntryMap: name -> entry with begin and end.)
template <typename EntryMap>
std::vector<std::string> data_order(const EntryMap& entries, uint64_t data_size, const std::string& where) {
  using Entry = typename EntryMap::mapped_type;
  std::vector<std::pair<const std::string*, const Entry*>> sorted;
  for (const auto& kv : entries) sorted.emplace_back(&kv.first, &kv.second);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return std::make_pair(a.second->begin, a.second->end) < std::make_pair(b.second->begin, b.second->end);
  });
  std::vector<std::string> order;
  size_t pos = 0;
  for (const auto& p : sorted) {
    AGF_CHECK(p.second->begin >= pos, FormatError, where, "tensor '", *p.first, "' at [", p.second->begin, ",",
              p.second->end, ") overlaps the previous tensor, which ends at ", pos);
    AGF_CHECK(p.second->begin == pos, FormatError, where, "gap in the data buffer: bytes [", pos, ",", p.second->begin,
              ") belong to no tensor (next is '", *p.first, "')");
    pos = p.second->end;
    order.push_back(*p.first);
  }
  AGF_CHECK(pos == data_size, FormatError, where, "tensors cover ", pos, " bytes of the ", data_size,
            "-byte data buffer");
  return order;
}

}  // namespace

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  SafetensorsFile f;
  f.path_ = path;
  const std::string where = "safetensors " + path + ": ";
  const auto [m, size] = map_file(path, where);
  f.map_ = m;  // unmapped by f's destructor if a check below throws
  f.map_size_ = size;
  const auto* bytes = static_cast<const unsigned char*>(m);
  const uint64_t n = header_length(bytes, size, where);
  const nlohmann::json j = parse_header(reinterpret_cast<const char*>(bytes + 8), n, where);
  const uint64_t data_size = size - 8 - n;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__")
      read_metadata(it.value(), where, &f.metadata_);
    else
      f.entries_.emplace(it.key(), parse_entry<Entry>(it.key(), it.value(), data_size, where));
  }
  f.order_ = data_order(f.entries_, data_size, where);
  f.data_ = bytes + 8 + n;
  return f;
}

std::vector<std::string> SafetensorsFile::names() const { return order_; }

bool SafetensorsFile::has(const std::string& name) const { return entries_.count(name) != 0; }

StView SafetensorsFile::get(const std::string& name) const {
  auto it = entries_.find(name);
  AGF_CHECK(it != entries_.end(), FormatError, "safetensors ", path_, ": no tensor named '", name, "' (",
            entries_.size(), " tensors in the file)");
  StView v;
  v.name = name;
  v.dtype = it->second.dtype;
  v.shape = it->second.shape;
  v.data = data_ + it->second.begin;
  v.nbytes = it->second.end - it->second.begin;
  return v;
}

}  // namespace agf
