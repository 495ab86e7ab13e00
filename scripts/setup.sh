#!/usr/bin/env bash
# Sets up seqrec on a fresh Debian 12 / Ubuntu machine: the system packages (LibTorch, a fast
# OpenMP BLAS, a C++ toolchain, CMake; Debian's PyTorch for the reference benchmark and parity
# scripts; headless Chromium, which the HTML report test opens; Node.js if absent), the npm
# dependencies, then builds the addon and the TypeScript.
# Idempotent: installed packages and an up-to-date build are skipped. Runs as root or via sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
packages=(cmake g++ make libtorch-dev libopenblas0-openmp python3-torch chromium)
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

# The addon is built below by our own script; no dependency needs its install script.
npm install --ignore-scripts --no-audit --no-fund  # honours package-lock.json
npm run build
