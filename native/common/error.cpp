// Maps exceptions to seqrec error codes. LibTorch's c10::Error carries a long C++ backtrace in
// what(); users get what_without_backtrace() instead.
#include "common/error.h"

#include <c10/util/Exception.h>

#include <new>

namespace seqrec {

ClassifiedError classifyCurrentException() {
  try {
    throw;
  } catch (const Error& e) {
    return {e.code, e.what()};
  } catch (const c10::OutOfMemoryError& e) {
    return {ErrorCode::Oom, std::string("out of memory: ") + e.what_without_backtrace()};
  } catch (const std::bad_alloc&) {
    return {ErrorCode::Oom, "out of memory (host allocation failed)"};
  } catch (const c10::Error& e) {
    std::string message = e.what_without_backtrace();
    bool oom = message.find("out of memory") != std::string::npos || message.find("DefaultCPUAllocator") != std::string::npos;
    return {oom ? ErrorCode::Oom : ErrorCode::Native, message};
  } catch (const std::exception& e) {
    return {ErrorCode::Native, e.what()};
  } catch (...) {
    return {ErrorCode::Native, "unknown native exception"};
  }
}

}  // namespace seqrec
