// FMA metadata loader (see fma.h): genres.csv, then tracks.csv read by (group, name), mirroring
// mdeff/fma utils.load (header=[0, 1], index_col=0, list columns through ast.literal_eval,
// subsets ordered small < medium < large).
#include "agf/data/fma.h"
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include "agf/data/csv.h"
#include "util/error.h"
#include "util/fs.h"

namespace agf {

const std::vector<std::string>& top_genre_names() {
  static const std::vector<std::string> names = {"Blues",        "Classical",     "Country",  "Easy Listening",
                                                 "Electronic",   "Experimental",  "Folk",     "Hip-Hop",
                                                 "Instrumental", "International", "Jazz",     "Old-Time / Historic",
                                                 "Pop",          "Rock",          "Soul-RnB", "Spoken"};
  return names;
}

int top_genre_index(const std::string& title) {
  const auto& n = top_genre_names();
  auto it = std::find(n.begin(), n.end(), title);
  return it == n.end() ? -1 : int(it - n.begin());
}

const std::vector<std::pair<std::string, std::string>>& fma_track_columns() {
  static const std::vector<std::pair<std::string, std::string>> cols = [] {
    std::vector<std::pair<std::string, std::string>> c;
    for (const char* n : {"comments", "date_created", "date_released", "engineer", "favorites", "id", "information",
                          "listens", "producer", "tags", "title", "tracks", "type"})
      c.emplace_back("album", n);
    for (const char* n : {"active_year_begin", "active_year_end", "associated_labels", "bio", "comments",
                          "date_created", "favorites", "id", "latitude", "location", "longitude", "members", "name",
                          "related_projects", "tags", "website", "wikipedia_page"})
      c.emplace_back("artist", n);
    for (const char* n : {"split", "subset"}) c.emplace_back("set", n);
    for (const char* n :
         {"bit_rate",  "comments", "composer",   "date_created", "date_recorded", "duration",      "favorites",
          "genre_top", "genres",   "genres_all", "information",  "interest",      "language_code", "license",
          "listens",   "lyricist", "number",     "publisher",    "tags",          "title"})
      c.emplace_back("track", n);
    return c;
  }();
  return cols;
}

const Track* FmaMetadata::find(int64_t id) const {
  auto it = track_index.find(id);
  return it == track_index.end() ? nullptr : &tracks[it->second];
}

const Genre* FmaMetadata::find_genre(int id) const {
  auto it = genre_index.find(id);
  return it == genre_index.end() ? nullptr : &genres[it->second];
}

namespace {

bool blank(const std::string& s) { return s.find_first_not_of(" \t") == std::string::npos; }

void load_genres(const std::string& path, FmaMetadata& m) {
  auto recs = read_csv_file(path);
  AGF_CHECK(!recs.empty(), FormatError, path, ": empty file (expected genre_id,#tracks,parent,title,top_level)");
  const auto& hdr = recs[0].fields;
  auto col = [&](const char* name) {
    auto it = std::find(hdr.begin(), hdr.end(), name);
    AGF_CHECK(it != hdr.end(), FormatError, path, ":1: missing column '", name,
              "' (FMA's genres.csv has genre_id,#tracks,parent,title,top_level)");
    return size_t(it - hdr.begin());
  };
  size_t c_id = col("genre_id"), c_n = col("#tracks"), c_parent = col("parent"), c_title = col("title"),
         c_top = col("top_level");
  for (size_t r = 1; r < recs.size(); ++r) {
    const auto& rec = recs[r];
    check_csv_width(rec, hdr.size(), path);
    std::string at = str(path, ":", rec.line);
    Genre g;
    g.id = int(parse_int_cell(rec.fields[c_id], at + " (genre_id)"));
    g.n_tracks = blank(rec.fields[c_n]) ? 0 : parse_int_cell(rec.fields[c_n], at + " (#tracks)");
    g.parent = int(parse_int_cell(rec.fields[c_parent], at + " (parent)"));
    g.title = rec.fields[c_title];
    g.top_level = int(parse_int_cell(rec.fields[c_top], at + " (top_level)"));
    AGF_CHECK(!m.genre_index.count(g.id), FormatError, at, ": duplicate genre_id ", g.id);
    m.genre_index[g.id] = m.genres.size();
    m.genres.push_back(std::move(g));
  }
  for (const auto& g : m.genres) {
    AGF_CHECK(g.parent == 0 || m.genre_index.count(g.parent), FormatError, path, ": genre ", g.id, " (", g.title,
              ") has parent ", g.parent, " which is not in the file");
    const Genre* top = m.find_genre(g.top_level);
    AGF_CHECK(top && top->parent == 0, FormatError, path, ": genre ", g.id, " (", g.title, ") has top_level ",
              g.top_level, " which is not a root genre of the file");
  }
}

}  // namespace

FmaMetadata load_fma_metadata(const std::string& dir) {
  namespace fs = std::filesystem;
  FmaMetadata m;
  std::string gpath = (fs::path(dir) / "genres.csv").string(), tpath = (fs::path(dir) / "tracks.csv").string();
  AGF_CHECK(fs::exists(gpath), IOError, "FMA metadata: '", gpath,
            "' not found (expected fma_metadata/ with "
            "tracks.csv and genres.csv)");
  AGF_CHECK(fs::exists(tpath), IOError, "FMA metadata: '", tpath, "' not found");
  load_genres(gpath, m);

  // Streamed: the three header lines set up the column map, then each row becomes a Track.
  const std::string text = read_file_bytes(tpath);
  std::vector<CsvRecord> header;
  size_t width = 0, c_top = 0, c_genres = 0, c_all = 0, c_artist = 0, c_aname = 0, c_album = 0, c_split = 0,
         c_subset = 0;
  auto setup_columns = [&] {
    const auto& groups = header[0].fields;
    const auto& names = header[1].fields;
    AGF_CHECK(!header[2].fields.empty() && header[2].fields[0] == "track_id", FormatError, tpath, ":", header[2].line,
              ": the third header line should start with 'track_id' (is this FMA's tracks.csv?)");
    width = names.size();
    check_csv_width(header[0], width, tpath);
    check_csv_width(header[2], width, tpath);
    std::map<std::pair<std::string, std::string>, size_t> colmap;
    for (size_t c = 1; c < width; ++c) colmap[{groups[c], names[c]}] = c;
    auto col = [&](const char* g, const char* n) {
      auto it = colmap.find({g, n});
      AGF_CHECK(it != colmap.end(), FormatError, tpath, ": missing column (", g, ", ", n, ")");
      return it->second;
    };
    c_top = col("track", "genre_top"), c_genres = col("track", "genres"), c_all = col("track", "genres_all");
    c_artist = col("artist", "id"), c_aname = col("artist", "name"), c_album = col("album", "id");
    c_split = col("set", "split"), c_subset = col("set", "subset");
  };
  auto add_track = [&](const CsvRecord& rec) {
    check_csv_width(rec, width, tpath);
    const auto& f = rec.fields;
    std::string at = str(tpath, ":", rec.line);
    Track t;
    t.line = rec.line;
    t.id = parse_int_cell(f[0], at + " (track_id)");
    AGF_CHECK(!m.track_index.count(t.id), FormatError, at, ": duplicate track_id ", t.id, " (first on line ",
              m.tracks[m.track_index[t.id]].line, ")");
    std::string tat = str(at, ": track ", t.id);
    if (blank(f[c_top])) {
      t.genre_top = -1;
    } else {
      t.genre_top = top_genre_index(f[c_top]);
      AGF_CHECK(t.genre_top >= 0, FormatError, tat, ": (track, genre_top) '", f[c_top],
                "' is not one of the 16 top-level genres");
    }
    auto ids = [&](size_t c, const char* name) {
      std::vector<int> out;
      for (int64_t g : parse_int_list(f[c], str(tat, " (track, ", name, ")"))) {
        AGF_CHECK(m.genre_index.count(int(g)), FormatError, tat, ": unknown genre id ", g, " in (track, ", name,
                  ") (not in genres.csv)");
        out.push_back(int(g));
      }
      return out;
    };
    t.genres = ids(c_genres, "genres");
    t.genres_all = ids(c_all, "genres_all");
    if (blank(f[c_artist])) {
      m.warnings.push_back(str(tat, ": no (artist, id); kept with artist_id -1 (no artist group factor)"));
    } else {
      t.artist_id = parse_int_cell(f[c_artist], tat + " (artist, id)");
    }
    if (blank(f[c_album])) {
      m.warnings.push_back(str(tat, ": no (album, id); kept with album_id -1"));
    } else {
      t.album_id = parse_int_cell(f[c_album], tat + " (album, id)");
    }
    t.artist_name = f[c_aname];
    t.split = f[c_split];
    t.subset = f[c_subset];
    AGF_CHECK(t.split.empty() || t.split == "training" || t.split == "validation" || t.split == "test", FormatError,
              tat, ": (set, split) '", t.split, "' is not training, validation or test");
    AGF_CHECK(t.subset.empty() || t.subset == "small" || t.subset == "medium" || t.subset == "large", FormatError, tat,
              ": (set, subset) '", t.subset, "' is not small, medium or large");
    m.track_index[t.id] = m.tracks.size();
    m.tracks.push_back(std::move(t));
  };
  for_each_csv_record(text, tpath, [&](const CsvRecord& rec) {
    if (header.size() < 3) {
      header.push_back(rec);
      if (header.size() == 3) setup_columns();
    } else {
      add_track(rec);
    }
  });
  AGF_CHECK(header.size() == 3, FormatError, tpath, ": expected three header lines (groups, names, track_id), found ",
            header.size(), " lines");
  return m;
}

std::vector<const Track*> select_subset(const FmaMetadata& m, const std::string& subset) {
  int level;
  if (subset == "small")
    level = 0;
  else if (subset == "medium")
    level = 1;
  else if (subset == "large")
    level = 2;
  else if (subset == "all")
    level = 3;
  else
    throw UsageError(str("unknown FMA subset '", subset, "' (small, medium, large or all)"));
  std::vector<const Track*> out;
  for (const auto& t : m.tracks) {
    int l = t.subset == "small" ? 0 : t.subset == "medium" ? 1 : t.subset == "large" ? 2 : 3;
    if (l <= level) out.push_back(&t);
  }
  return out;
}

const std::vector<int64_t>& fma_medium_known_bad_ids() {
  static const std::vector<int64_t> ids = {1486,  5574,   65753,  80391,  98558,  98559,  98560, 98571,
                                           99134, 105247, 108925, 126981, 127336, 133297, 143992};
  return ids;
}

std::vector<int64_t> remove_known_bad(std::vector<const Track*>& tracks) {
  const auto& bad = fma_medium_known_bad_ids();
  std::vector<int64_t> removed;
  auto keep = std::remove_if(tracks.begin(), tracks.end(), [&](const Track* t) {
    bool b = std::binary_search(bad.begin(), bad.end(), t->id);
    if (b) removed.push_back(t->id);
    return b;
  });
  tracks.erase(keep, tracks.end());
  return removed;
}

std::string fma_audio_relpath(int64_t track_id, const std::string& ext) {
  AGF_CHECK(track_id >= 0 && track_id <= 999999, UsageError, "FMA track id ", track_id,
            " does not fit the 6-digit path scheme");
  char buf[32];
  std::snprintf(buf, sizeof buf, "%06lld", static_cast<long long>(track_id));
  std::string id6(buf);
  return id6.substr(0, 3) + "/" + id6 + "." + ext;
}

std::string find_audio_path(const std::string& audio_dir, int64_t track_id) {
  namespace fs = std::filesystem;
  for (const char* ext : {"mp3", "flac", "wav", "ogg"}) {
    fs::path p = fs::path(audio_dir) / fma_audio_relpath(track_id, ext);
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return "";
}

}  // namespace agf
