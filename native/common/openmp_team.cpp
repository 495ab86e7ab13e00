// Finds omp_pause_resource_all in the libgomp LibTorch loaded (the wheel bundles its own copy, and
// the addon is loaded without RTLD_GLOBAL, so the symbol is looked up in that library by name).
#include "common/openmp_team.h"

#ifdef __linux__
#include <dlfcn.h>
#include <link.h>

#include <cstring>
#endif

namespace seqrec {

namespace {

using PauseAll = int (*)(int);
constexpr int kOmpPauseSoft = 1;  // omp_pause_soft: free the threads, keep the settings

PauseAll findPauseAll() {
  PauseAll found = nullptr;
#ifdef __linux__
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        if (info->dlpi_name == nullptr || std::strstr(info->dlpi_name, "libgomp") == nullptr) return 0;
        void* library = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);  // already loaded: a reference, no load
        if (library == nullptr) return 0;
        auto pause = reinterpret_cast<PauseAll>(dlsym(library, "omp_pause_resource_all"));
        dlclose(library);
        if (pause == nullptr) return 0;
        *static_cast<PauseAll*>(data) = pause;
        return 1;
      },
      &found);
#endif
  return found;
}

}  // namespace

void releaseOpenMpTeam() {
  static const PauseAll pauseAll = findPauseAll();
  if (pauseAll != nullptr) pauseAll(kOmpPauseSoft);
}

}  // namespace seqrec
