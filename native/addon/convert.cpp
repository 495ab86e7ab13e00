// Conversions; messages follow lib/validate.ts ("Expected <what> for <path> …").
#include "addon/convert.h"

#include <cmath>
#include <cstring>

namespace seqrec::glue {

Napi::Error makeError(Napi::Env env, const ClassifiedError& error) {
  Napi::Error e = Napi::Error::New(env, error.message);
  e.Set("code", Napi::String::New(env, codeName(error.code)));
  return e;
}

static Error expected(const std::string& what, const std::string& path, const Napi::Value& value) {
  static const char* names[] = {"undefined", "null", "boolean", "number", "string", "symbol", "object", "function", "external", "bigint"};
  const auto type = static_cast<size_t>(value.Type());
  return Error(ErrorCode::InvalidOption,
               "Expected " + what + " for " + path + " but received a value of type " + (type < 10 ? names[type] : "unknown"));
}

void requireArgs(const Napi::CallbackInfo& info, size_t count, const char* where) {
  if (info.Length() < count)
    throw Error(ErrorCode::InvalidOption,
                std::string(where) + " expects " + std::to_string(count) + " argument(s), got " + std::to_string(info.Length()));
}

Napi::Object readObject(const Napi::Value& value, const std::string& path, const char* what) {
  if (!value.IsObject() || value.IsArray()) throw expected(std::string("a ") + what + " object", path, value);
  return value.As<Napi::Object>();
}

Napi::Function readFunction(const Napi::Value& value, const std::string& path) {
  if (!value.IsFunction()) throw expected("a function", path, value);
  return value.As<Napi::Function>();
}

int64_t readInt(const Napi::Value& value, const std::string& path) {
  if (!value.IsNumber()) throw expected("an integer", path, value);
  const double d = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 9007199254740991.0) throw expected("a safe integer", path, value);
  return static_cast<int64_t>(d);
}

double readFloat(const Napi::Value& value, const std::string& path) {
  if (!value.IsNumber()) throw expected("a number", path, value);
  return value.As<Napi::Number>().DoubleValue();
}

bool readBool(const Napi::Value& value, const std::string& path) {
  if (!value.IsBoolean()) throw expected("a boolean", path, value);
  return value.As<Napi::Boolean>().Value();
}

std::string readString(const Napi::Value& value, const std::string& path) {
  if (!value.IsString()) throw expected("a string", path, value);
  return value.As<Napi::String>().Utf8Value();
}

template <class T>
static std::vector<T> readTyped(const Napi::Value& value, const std::string& path, napi_typedarray_type type, const char* what) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) throw expected(what, path, value);
  Napi::TypedArrayOf<T> array = value.As<Napi::TypedArrayOf<T>>();
  return std::vector<T>(array.Data(), array.Data() + array.ElementLength());
}

std::vector<int32_t> readInt32Array(const Napi::Value& v, const std::string& p) {
  return readTyped<int32_t>(v, p, napi_int32_array, "an Int32Array");
}
std::vector<float> readFloat32Array(const Napi::Value& v, const std::string& p) {
  return readTyped<float>(v, p, napi_float32_array, "a Float32Array");
}
std::vector<double> readFloat64Array(const Napi::Value& v, const std::string& p) {
  return readTyped<double>(v, p, napi_float64_array, "a Float64Array");
}
std::vector<uint8_t> readUint8Array(const Napi::Value& v, const std::string& p) {
  return readTyped<uint8_t>(v, p, napi_uint8_array, "a Uint8Array");
}

std::vector<int64_t> readIntList(const Napi::Value& value, const std::string& path) {
  return readList<int64_t, readInt>(value, path);
}

Napi::Value toJs(Napi::Env env, int64_t value) {
  return Napi::Number::New(env, static_cast<double>(value));
}
Napi::Value toJs(Napi::Env env, double value) {
  return Napi::Number::New(env, value);
}
Napi::Value toJs(Napi::Env env, bool value) {
  return Napi::Boolean::New(env, value);
}
Napi::Value toJs(Napi::Env env, const std::string& value) {
  return Napi::String::New(env, value);
}

template <class T>
static Napi::Value typedCopy(Napi::Env env, const std::vector<T>& value) {
  Napi::TypedArrayOf<T> array = Napi::TypedArrayOf<T>::New(env, value.size());  // V8-owned buffer
  if (!value.empty()) std::memcpy(array.Data(), value.data(), value.size() * sizeof(T));
  return array;
}

Napi::Value toJs(Napi::Env env, const std::vector<int32_t>& value) {
  return typedCopy(env, value);
}
Napi::Value toJs(Napi::Env env, const std::vector<float>& value) {
  return typedCopy(env, value);
}
Napi::Value toJs(Napi::Env env, const std::vector<double>& value) {
  return typedCopy(env, value);
}
Napi::Value toJs(Napi::Env env, const std::vector<uint8_t>& value) {
  return typedCopy(env, value);
}
Napi::Value toJs(Napi::Env env, const std::vector<int64_t>& value) {
  Napi::Array array = Napi::Array::New(env, value.size());
  for (size_t i = 0; i < value.size(); ++i) array.Set(static_cast<uint32_t>(i), toJs(env, value[i]));
  return array;
}

}  // namespace seqrec::glue
