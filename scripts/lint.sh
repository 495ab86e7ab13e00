#!/usr/bin/env bash
# Formatting and lint, as `npm test` checks them: Prettier and ESLint over the TypeScript and
# JavaScript, clang-format over native/ (generated files are checked by `npm run gen:check`).
# `bash scripts/lint.sh --fix` rewrites instead of checking.
set -euo pipefail
cd "$(dirname "$0")/.."
native=$(git ls-files 'native/*.cpp' 'native/*.h' 'native/*.cu' | grep -v '/generated/')
scripts=("lib/**/*.ts" "tests/**/*.ts" "bindings/**/*.ts" "benchmarks/**/*.{ts,mjs}" "scripts/**/*.mjs" "*.ts" "*.js")
command -v clang-format >/dev/null || { echo "seqrec lint: clang-format is missing (bash scripts/setup.sh installs it)" >&2; exit 1; }
if [ "${1:-}" = "--fix" ]; then
  npx prettier --log-level warn --write "${scripts[@]}"
  npx eslint --fix .
  clang-format -i $native
else
  npx prettier --log-level warn --check "${scripts[@]}"
  npx eslint .
  clang-format --dry-run --Werror $native
fi
echo "seqrec lint: formatting and lint clean"
