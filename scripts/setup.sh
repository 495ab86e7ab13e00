#!/usr/bin/env bash
# Sets up seqrec on a fresh Debian 12 / Ubuntu machine: the system packages (a C++ toolchain, CMake,
# ccache, clang-format, which `npm test` checks native/ with; Python's venv module; headless
# Chromium, which the HTML report test opens; Gloo's headers, through which distributed training
# reaches LibTorch's own Gloo process group; Node.js if absent),
# PyTorch 2.x in the project's own virtualenv .venv (the CPU wheel, or the CUDA one where an NVIDIA
# driver answers; its LibTorch is what the addon is built against, and its Python side, with
# transformers, peft and safetensors, runs the parity references), where nvcc is the CUDA LibTorch
# that `npm test` compiles the CUDA build against (.torch-cuda), the npm dependencies, then the addon
# and the TypeScript.
# SEQREC_TORCH overrides the PyTorch requirement (e.g. SEQREC_TORCH=torch==2.14.1); LIBTORCH or
# Torch_DIR, when set, is built against instead (cmake/FindLibTorch.cmake).
# Idempotent: installed packages and an up-to-date build are skipped. Runs as root or via sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
packages=(cmake g++ make ccache clang-format python3 python3-venv chromium libgloo-dev)
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "seqrec setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

torch="${SEQREC_TORCH:-torch==2.13.0+cpu}"
if [ -z "${SEQREC_TORCH:-}" ] && command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  torch="torch==2.14.1"  # CUDA 13 build
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
echo "seqrec setup: $torch, numpy, transformers, peft, safetensors in .venv"
# Requirements already met are not fetched again; an unreachable index fails fast instead of retrying.
.venv/bin/pip install --quiet --retries 1 --timeout 20 "$torch" numpy transformers peft safetensors

# Where nvcc is, `npm test` also compiles the addon against PyTorch's CUDA 13 LibTorch (scripts/build-cuda.sh):
# its wheel without dependencies, plus the CUDA libraries' headers LibTorch's own headers include.
if command -v nvcc >/dev/null 2>&1; then
  if [ ! -f .torch-cuda/torch/share/cmake/Torch/TorchConfig.cmake ]; then
    echo "seqrec setup: the CUDA LibTorch (torch==2.14.1 and CUDA library headers) in .torch-cuda"
    .venv/bin/pip install --quiet --retries 1 --timeout 20 --no-deps --target .torch-cuda torch==2.14.1 \
      nvidia-cublas==13.1.1.3 nvidia-cusparse==12.6.3.3 nvidia-cusolver==12.0.4.66 nvidia-curand==10.4.0.35 \
      nvidia-cufft==12.0.0.61 nvidia-cuda-nvrtc==13.0.88
  fi
  if [ ! -f .torch-cuda/nvidia/nccl/include/nccl.h ]; then  # NCCL's header, for distributed training's CUDA path
    .venv/bin/pip install --quiet --retries 1 --timeout 20 --no-deps --upgrade --target .torch-cuda-nccl nvidia-nccl-cu13==2.30.7
    mkdir -p .torch-cuda/nvidia && rm -rf .torch-cuda/nvidia/nccl && mv .torch-cuda-nccl/nvidia/nccl .torch-cuda/nvidia/ && rm -rf .torch-cuda-nccl
  fi
  # the wheels ship versioned libraries only (libnvrtc.so.13): give the linker the plain names too
  for lib in .torch-cuda/nvidia/cu13/lib/*.so.*; do
    [ -e "${lib%%.so.*}.so" ] || ln -s "$(basename "$lib")" "${lib%%.so.*}.so"
  done
fi

# The addon is built below by our own script; no dependency needs its install script.
npm install --ignore-scripts --no-audit --no-fund  # honours package-lock.json
npm run build
