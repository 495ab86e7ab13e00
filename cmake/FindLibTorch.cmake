# Finds LibTorch, in this order (DESIGN.md "Toolchain"):
#   1. Torch_DIR (CMake variable or environment) or LIBTORCH (environment: an unpacked libtorch folder)
#   2. the PyTorch of a virtualenv .venv: this package's (made by scripts/setup.sh), or, when seqrec is
#      installed as a dependency, the project's that runs `npm install` (npm's INIT_CWD); then python3's
#   3. the system package (Debian/Ubuntu libtorch-dev, LibTorch 1.13), a fallback
# Fails with the exact commands to run when none is found. LibTorch 2.x needs C++20, 1.13 C++17.
if(NOT Torch_DIR AND DEFINED ENV{Torch_DIR})
  set(Torch_DIR "$ENV{Torch_DIR}")
endif()
if(NOT Torch_DIR AND DEFINED ENV{LIBTORCH})
  set(Torch_DIR "$ENV{LIBTORCH}/share/cmake/Torch")
endif()
if(NOT Torch_DIR)
  foreach(py "${CMAKE_CURRENT_SOURCE_DIR}/.venv/bin/python" "$ENV{INIT_CWD}/.venv/bin/python" python3 /usr/bin/python3)
    execute_process(
      COMMAND ${py} -c "import torch.utils, os; print(os.path.join(torch.utils.cmake_prefix_path, 'Torch'))"
      OUTPUT_VARIABLE _py_torch_dir OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _py_rc)
    if(_py_rc EQUAL 0 AND EXISTS "${_py_torch_dir}/TorchConfig.cmake")
      set(Torch_DIR "${_py_torch_dir}")
      break()
    endif()
  endforeach()
endif()

# TorchConfig looks its libraries and its Caffe2 package up by name, and CMake's system paths come
# before its hints: with Debian's libtorch-dev also installed, a wheel's headers would be linked to the
# system's LibTorch 1.13. Pin both to the chosen LibTorch.
if(Torch_DIR)
  get_filename_component(_seqrec_torch_prefix "${Torch_DIR}/../../.." ABSOLUTE)
  list(PREPEND CMAKE_LIBRARY_PATH "${_seqrec_torch_prefix}/lib")
  if(EXISTS "${_seqrec_torch_prefix}/share/cmake/Caffe2/Caffe2Config.cmake")
    set(Caffe2_DIR "${_seqrec_torch_prefix}/share/cmake/Caffe2" CACHE PATH "Caffe2 package of the chosen LibTorch" FORCE)
  endif()
endif()

find_package(Torch QUIET)
if(NOT Torch_FOUND)
  message(FATAL_ERROR
    "seqrec: LibTorch was not found. It comes with PyTorch 2.x; in the project that depends on seqrec run\n"
    "      python3 -m venv .venv && .venv/bin/pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu\n"
    "  (or, for CUDA, .venv/bin/pip install torch) and then: npm rebuild seqrec\n"
    "  An unpacked LibTorch works too (export LIBTORCH=/path/to/libtorch, or Torch_DIR=<libtorch>/share/cmake/Torch),\n"
    "  as does Debian/Ubuntu's LibTorch 1.13 (apt-get install libtorch-dev libopenblas0-openmp).")
endif()
if(Torch_VERSION VERSION_GREATER_EQUAL 2.0)
  set(CMAKE_CXX_STANDARD 20)
endif()

separate_arguments(TORCH_CXX_FLAGS_LIST UNIX_COMMAND "${TORCH_CXX_FLAGS}")
# The folder holding libtorch*.so, for the addon's RPATH (no LD_LIBRARY_PATH needed).
find_library(_seqrec_libtorch torch PATHS "${TORCH_INSTALL_PREFIX}/lib" NO_DEFAULT_PATH)
if(NOT _seqrec_libtorch)
  find_library(_seqrec_libtorch torch)
endif()
get_filename_component(SEQREC_TORCH_LIB_DIR "${_seqrec_libtorch}" DIRECTORY)
message(STATUS "seqrec: LibTorch ${Torch_VERSION} from ${Torch_DIR} (libs in ${SEQREC_TORCH_LIB_DIR})")
