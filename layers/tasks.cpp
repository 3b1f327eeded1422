// Task letters (see tasks.h).
#include "layers/tasks.h"

#include <algorithm>
#include <cstring>

#include "util/error.h"

namespace agf {

bool is_task(char task) { return task != '\0' && std::strchr(kTaskOrder, task) != nullptr; }

bool is_factor_task(char task) { return task != kGenreTask && is_task(task); }

const char* task_label(char task) {
  switch (task) {
    case 'g': return "genre";
    case 's': return "sub-genres";
    case 'e': return "descriptors";
    case 'd': return "delta-MFCC";
    case 'm': return "MFCC";
  }
  throw_unknown_task(task);
}

void throw_unknown_task(char task) {
  throw UsageError(str("unknown task '", task,
                       "': tasks are g (genre), m (MFCC), d (delta-MFCC), e (descriptors), "
                       "s (subgenres)"));
}

std::string canonical_tasks(const std::string& tasks) {
  AGF_CHECK(!tasks.empty(), UsageError, "tasks: empty task list (use letters from ", kTaskOrder, ")");
  std::string out;
  for (const char* p = kTaskOrder; *p; ++p) {
    const auto n = std::count(tasks.begin(), tasks.end(), *p);
    AGF_CHECK(n <= 1, UsageError, "tasks '", tasks, "': letter '", *p, "' repeated");
    if (n == 1) out += *p;
  }
  AGF_CHECK(out.size() == tasks.size(), UsageError, "tasks '", tasks, "': unknown letter (use letters from ",
            kTaskOrder, ")");
  return out;
}

std::string first_tasks(int n) {
  const int all = int(std::strlen(kTaskOrder));
  AGF_CHECK(n >= 1 && n <= all, UsageError, "first_tasks: n must be in 1..", all, ", got ", n);
  return std::string(kTaskOrder, size_t(n));
}

}  // namespace agf
