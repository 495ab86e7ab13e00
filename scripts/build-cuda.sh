#!/usr/bin/env bash
# Compile check of the CUDA build (part of `npm test`): configures and builds the addon against the
# CUDA LibTorch in .torch-cuda (PyTorch 2.14.1, CUDA 13; put there by scripts/setup.sh) with nvcc and
# SEQREC_WITH_CUDA on, into build/cuda, and fails on any compile or link error in CUDA-only code.
# Custom CUDA kernels compile for sm_80 and sm_90 (TORCH_CUDA_ARCH_LIST). No GPU is needed: the addon
# is built, not run. ccache, when installed, keeps repeated builds short. Skips, saying why, where there
# is no nvcc or no CUDA LibTorch.
set -euo pipefail
cd "$(dirname "$0")/.."

torch_dir="$PWD/.torch-cuda/torch/share/cmake/Torch"
libs="$PWD/.torch-cuda/nvidia/cu13"
if ! command -v nvcc >/dev/null 2>&1; then echo "seqrec: CUDA build check skipped: no nvcc on PATH"; exit 0; fi
if [ ! -f "$torch_dir/TorchConfig.cmake" ]; then echo "seqrec: CUDA build check skipped: no CUDA LibTorch in .torch-cuda (scripts/setup.sh installs it where nvcc is)"; exit 0; fi
# the toolkit: CUDA_HOME, else /usr/local/cuda, else the folder above nvcc's bin/ (nvcc may be a wrapper)
cuda_root="${CUDA_HOME:-/usr/local/cuda}"
[ -f "$cuda_root/include/cuda_runtime.h" ] || cuda_root="$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")"
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="$PWD"  # paths relative to the checkout: a fresh clone hits the cache too
fi
generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi

echo "seqrec: CUDA build check: the addon against .torch-cuda's LibTorch with nvcc from $cuda_root"
TORCH_CUDA_ARCH_LIST="8.0;9.0" cmake -S . -B build/cuda "${generator[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DTorch_DIR="$torch_dir" -DCUDA_TOOLKIT_ROOT_DIR="$cuda_root" -DCUDAToolkit_ROOT="$cuda_root" -DSEQREC_NCCL_INCLUDE="$PWD/.torch-cuda/nvidia/nccl/include" \
  -DCMAKE_LIBRARY_PATH="$libs/lib" -DCMAKE_CXX_FLAGS="-I$libs/include" \
  -DNODE_INCLUDE_DIR="$PWD/node_modules/node-api-headers/include" -DNODE_ADDON_API_DIR="$PWD/node_modules/node-addon-api" >build/cuda-configure.log 2>&1 \
  || { cat build/cuda-configure.log; echo "seqrec: CUDA build check: configure failed"; exit 1; }
grep -q SEQREC_WITH_CUDA build/cuda/CMakeFiles/seqrec.dir/flags.make build/cuda/build.ninja 2>/dev/null \
  || { echo "seqrec: CUDA build check: the CUDA LibTorch did not turn SEQREC_WITH_CUDA on"; exit 1; }
cmake --build build/cuda --parallel "$(nproc)"
nccl="without NCCL (no nccl.h)"
if grep -q SEQREC_WITH_NCCL build/cuda/CMakeFiles/seqrec.dir/flags.make build/cuda/build.ninja 2>/dev/null; then nccl="with NCCL"; fi
echo "seqrec: CUDA build check passed: build/cuda/Release/seqrec.node (LibTorch CUDA, SEQREC_WITH_CUDA, $nccl)"
