// libgomp keeps, for every thread that ever started a parallel region, a team of idle worker threads
// until that thread exits; and once it manages more threads in all than the process has CPUs, every
// barrier of every team stops spinning and sleeps on a futex instead (its "throttled" spin count).
// So after one evaluation on a job-pool thread, a fit on its own thread ran 12% slower at the ML-1M
// shape and 3× slower at small shapes (2 cores, measured). A pool thread therefore hands its team
// back after each job (OpenMP 5.0's omp_pause_resource_all, from whichever libgomp LibTorch loaded).
#pragma once

namespace seqrec {

// Free the calling thread's idle OpenMP workers, if the OpenMP runtime in the process can (libgomp
// with the OpenMP 5.0 pause API); otherwise do nothing. Not inside a parallel region.
void releaseOpenMpTeam();

}  // namespace seqrec
