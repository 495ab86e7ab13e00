// mallopt/malloc_trim wrappers; see host_memory.h for why.
#include "common/host_memory.h"

#include <cstdlib>  // defines __GLIBC__ on glibc systems

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace seqrec {

void keepFreedHostMemory() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);  // glibc's maximum: blocks up to 32 MiB come from the heap
  mallopt(M_TRIM_THRESHOLD, 1 << 30);           // do not hand the heap top back after every step
  mallopt(M_TOP_PAD, 256 * 1024 * 1024);        // grow the heap in large steps
#endif
}

void releaseFreedHostMemory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

}  // namespace seqrec
