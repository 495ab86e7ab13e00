// glibc heap settings for training loops. A training step frees and re-allocates the same large
// CPU buffers (GEMM outputs, attention scores) every step; by default glibc returns them to the
// kernel and every step pays page faults again (~20% of a CPU step on the ML-1M shape). While
// training we keep freed memory for reuse, and give it back when the run ends or a model is
// disposed. No-ops on other C libraries.
#pragma once

namespace seqrec {

void keepFreedHostMemory();
void releaseFreedHostMemory();

}  // namespace seqrec
