// libFuzzer target: the FMA metadata readers (agf/data/csv.h, agf/data/fma.h). The input is
// genres.csv, a NUL byte, then tracks.csv (no NUL: both files get the whole input). Each run parses
// the start of the input as CSV in memory, feeds its first cells to the Python-list and integer cell
// parsers, then loads the two files through load_fma_metadata.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "agf/data/csv.h"
#include "agf/data/fma.h"
#include "util/error.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    // The in-memory pass sees the first 512 bytes and the cell parsers the first 24 cells only
    // (parse_str_list has no other caller here; the loader below parses every cell it knows):
    // most cells make the parsers throw, and hundreds of exceptions per input would cut the run
    // rate tenfold for no new paths.
    int cells = 0;
    for (const agf::CsvRecord& r : agf::parse_csv(text.substr(0, 512), "fuzz.csv")) {
      for (const std::string& cell : r.fields) {
        if (++cells > 24) break;
        try {
          (void)agf::parse_int_list(cell, "cell");
        } catch (const agf::Error&) {
        }
        try {
          (void)agf::parse_str_list(cell, "cell");
        } catch (const agf::Error&) {
        }
        try {
          (void)agf::parse_int_cell(cell, "cell");
        } catch (const agf::Error&) {
        }
      }
    }
  } catch (const agf::Error&) {
  }
  const size_t nul = text.find('\0');
  const std::string genres = nul == std::string::npos ? text : text.substr(0, nul);
  const std::string tracks = nul == std::string::npos ? text : text.substr(nul + 1);
  agf_fuzz::write_scratch("genres.csv", reinterpret_cast<const uint8_t*>(genres.data()), genres.size());
  agf_fuzz::write_scratch("tracks.csv", reinterpret_cast<const uint8_t*>(tracks.data()), tracks.size());
  try {
    agf::FmaMetadata m = agf::load_fma_metadata(agf_fuzz::scratch_dir());
    for (const char* s : {"small", "medium", "large", "all"}) (void)agf::select_subset(m, s);
  } catch (const agf::Error&) {
  }
  return 0;
}
