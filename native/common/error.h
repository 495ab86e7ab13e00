// Typed errors thrown by native code, with the codes of bindings/spec.ts (generated), and the one
// function that turns any C++/LibTorch exception into (code, message). N-API mapping lives in
// native/addon/; this header has no Node dependency so model/ and train/ can throw it.
#pragma once
#include <exception>
#include <stdexcept>
#include <string>

#include "generated/error_codes.h"

namespace seqrec {

struct Error : std::runtime_error {
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code(code) {}
  ErrorCode code;
};

// The two helpers every option check uses.
inline Error invalidOption(const std::string& message) {
  return Error(ErrorCode::InvalidOption, message);
}
inline std::string inQuotes(const std::string& s) {
  return "\"" + s + "\"";
}

struct ClassifiedError {
  ErrorCode code;
  std::string message;
};

// Call from inside a catch block: maps seqrec::Error, c10::OutOfMemoryError, std::bad_alloc,
// c10::Error (message without the C++ backtrace) and std::exception to a code and a message.
ClassifiedError classifyCurrentException();

}  // namespace seqrec
