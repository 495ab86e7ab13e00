# Finds LibTorch, in this order (DESIGN.md "Toolchain"):
#   1. Torch_DIR (CMake variable or environment) or LIBTORCH (environment: an unpacked libtorch folder)
#   2. a Python PyTorch's torch.utils.cmake_prefix_path (python3, then /usr/bin/python3)
#   3. the system package (Debian/Ubuntu libtorch-dev)
# Fails with the exact packages to install or variables to set when none is found.
if(NOT Torch_DIR AND DEFINED ENV{Torch_DIR})
  set(Torch_DIR "$ENV{Torch_DIR}")
endif()
if(NOT Torch_DIR AND DEFINED ENV{LIBTORCH})
  set(Torch_DIR "$ENV{LIBTORCH}/share/cmake/Torch")
endif()
if(NOT Torch_DIR)
  foreach(py python3 /usr/bin/python3)
    execute_process(
      COMMAND ${py} -c "import torch.utils, os; print(os.path.join(torch.utils.cmake_prefix_path, 'Torch'))"
      OUTPUT_VARIABLE _py_torch_dir OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _py_rc)
    if(_py_rc EQUAL 0 AND EXISTS "${_py_torch_dir}/TorchConfig.cmake")
      set(Torch_DIR "${_py_torch_dir}")
      break()
    endif()
  endforeach()
endif()

find_package(Torch QUIET)
if(NOT Torch_FOUND)
  message(FATAL_ERROR
    "seqrec: LibTorch was not found.\n"
    "  On Debian/Ubuntu:  apt-get install libtorch-dev libopenblas0-openmp\n"
    "  Or point to a LibTorch:  export LIBTORCH=/path/to/libtorch   (or Torch_DIR=<libtorch>/share/cmake/Torch)\n"
    "  Or install PyTorch for python3 (its bundled LibTorch is used).")
endif()

separate_arguments(TORCH_CXX_FLAGS_LIST UNIX_COMMAND "${TORCH_CXX_FLAGS}")
# The folder holding libtorch*.so, for the addon's RPATH (no LD_LIBRARY_PATH needed).
find_library(_seqrec_libtorch torch PATHS "${TORCH_INSTALL_PREFIX}/lib" NO_DEFAULT_PATH)
if(NOT _seqrec_libtorch)
  find_library(_seqrec_libtorch torch)
endif()
get_filename_component(SEQREC_TORCH_LIB_DIR "${_seqrec_libtorch}" DIRECTORY)
message(STATUS "seqrec: LibTorch ${Torch_VERSION} from ${Torch_DIR} (libs in ${SEQREC_TORCH_LIB_DIR})")
