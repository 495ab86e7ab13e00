// JS ↔ C++ value conversion used by the generated glue, plus the error guard that turns every
// C++/LibTorch exception into a JS Error with a stable `code` (never an uncaught exception
// crossing N-API). Typed arrays are copied both ways: nothing aliases V8 or tensor memory
// (external buffers are refused by Electron's V8 sandbox).
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "common/error.h"

namespace seqrec::glue {

Napi::Error makeError(Napi::Env env, const ClassifiedError& error);

// Runs body; maps any exception to a thrown JS error with a code.
template <class Body>
Napi::Value guard(Napi::Env env, Body&& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw makeError(env, classifyCurrentException());
  }
}

void requireArgs(const Napi::CallbackInfo& info, size_t count, const char* where);
Napi::Object readObject(const Napi::Value& value, const std::string& path, const char* what);
Napi::Function readFunction(const Napi::Value& value, const std::string& path);
int64_t readInt(const Napi::Value& value, const std::string& path);
double readFloat(const Napi::Value& value, const std::string& path);
bool readBool(const Napi::Value& value, const std::string& path);
std::string readString(const Napi::Value& value, const std::string& path);
std::vector<int32_t> readInt32Array(const Napi::Value& value, const std::string& path);
std::vector<float> readFloat32Array(const Napi::Value& value, const std::string& path);
std::vector<double> readFloat64Array(const Napi::Value& value, const std::string& path);
std::vector<uint8_t> readUint8Array(const Napi::Value& value, const std::string& path);
std::vector<int64_t> readIntList(const Napi::Value& value, const std::string& path);

template <class T, T (*read)(const Napi::Value&, const std::string&)>
std::vector<T> readList(const Napi::Value& value, const std::string& path) {
  if (!value.IsArray()) throw Error(ErrorCode::InvalidOption, "Expected an array for " + path);
  Napi::Array array = value.As<Napi::Array>();
  std::vector<T> out;
  out.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) out.push_back(read(array.Get(i), path + "[" + std::to_string(i) + "]"));
  return out;
}

Napi::Value toJs(Napi::Env env, int64_t value);
Napi::Value toJs(Napi::Env env, double value);
Napi::Value toJs(Napi::Env env, bool value);
Napi::Value toJs(Napi::Env env, const std::string& value);
Napi::Value toJs(Napi::Env env, const std::vector<int32_t>& value);
Napi::Value toJs(Napi::Env env, const std::vector<float>& value);
Napi::Value toJs(Napi::Env env, const std::vector<double>& value);
Napi::Value toJs(Napi::Env env, const std::vector<uint8_t>& value);
Napi::Value toJs(Napi::Env env, const std::vector<int64_t>& value);

}  // namespace seqrec::glue
