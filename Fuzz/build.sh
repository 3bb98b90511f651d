#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/Targets, one binary each, into $FUZZ_BUILD/bin
# (default .build-fuzz/bin).
#
# SwiftPM links its executables with their own `main`, which libFuzzer's would clash with, so
# the targets are built with swiftc directly: each library module the targets need is
# compiled once, with coverage instrumentation and AddressSanitizer (-sanitize=fuzzer,address),
# to an object and a .swiftmodule, in the package's dependency order; each target is one
# Swift file defining LLVMFuzzerTestOneInput, compiled against those modules and linked with
# their objects, zstd and OpenBLAS. The C shims are the package's own module maps; the one C
# target (CStreamKernels) is compiled with clang under the same instrumentation.
#
#   Fuzz/build.sh              every target
#   Fuzz/build.sh frame-reader only the ones named
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${FUZZ_BUILD:-$root/.build-fuzz}
mkdir -p "$build/modules" "$build/objects" "$build/bin"

swift_flags=(-sanitize=fuzzer,address -parse-as-library -O -g -Xcc -w
             -I "$build/modules" -I Sources/CZstd -I Sources/COpenBLAS)

# The library modules each module imports (as in Package.swift), and those each target links,
# in dependency order.
declare -A module_imports=(
  [Frames]="" [FrameTools]="Frames" [LinearAlgebra]="" [RandomNumbers]=""
  [Models]="Frames LinearAlgebra" [Problems]="Models LinearAlgebra"
  [Instances]="Models LinearAlgebra RandomNumbers Frames"
  [Evaluation]="Problems Models LinearAlgebra RandomNumbers Frames"
)
declare -A target_modules=(
  [frame-reader]="Frames"
  [frames-tool]="Frames FrameTools"
  [frames-import]="Frames FrameTools"
  [measurements]="Frames LinearAlgebra Models"
  [corrupt-sparse]="Frames LinearAlgebra RandomNumbers Models Instances"
  [evaluate]="Frames LinearAlgebra RandomNumbers Models Problems Evaluation"
)

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(frame-reader frames-tool frames-import measurements corrupt-sparse evaluate)

# Rebuilds a module only when one of its sources, a module it imports, or this script is newer.
compile_module() {
  local module=$1 object="$build/objects/$1.o" interface="$build/modules/$1.swiftmodule"
  local inputs=("Sources/$module" Fuzz/build.sh)
  for imported in ${module_imports[$module]}; do inputs+=("$build/modules/$imported.swiftmodule"); done
  if [ -f "$object" ] && [ -z "$(find "${inputs[@]}" -newer "$object" \( -name '*.swift' -o -name '*.swiftmodule' -o -name build.sh \) -print -quit)" ]; then
    return
  fi
  echo "fuzz build: module $module" >&2
  swiftc "${swift_flags[@]}" -module-name "$module" -wmo -c $(find "Sources/$module" -name '*.swift' | sort) \
    -emit-module -emit-module-path "$interface" -o "$object"
  touch "$object"
}

compile_stream_kernels() {
  local object="$build/objects/CStreamKernels.o"
  if [ ! -f "$object" ] || [ Sources/CStreamKernels/stream_kernels.c -nt "$object" ]; then
    echo "fuzz build: module CStreamKernels" >&2
    clang -O2 -g -fsanitize=fuzzer-no-link,address -I Sources/CStreamKernels/include \
      -c Sources/CStreamKernels/stream_kernels.c -o "$object"
  fi
  mkdir -p "$build/modules/CStreamKernels"
  printf 'module CStreamKernels {\n    header "%s"\n    export *\n}\n' \
    "$root/Sources/CStreamKernels/include/stream_kernels.h" > "$build/modules/CStreamKernels/module.modulemap.new"
  cmp -s "$build/modules/CStreamKernels/module.modulemap.new" "$build/modules/CStreamKernels/module.modulemap" \
    || mv "$build/modules/CStreamKernels/module.modulemap.new" "$build/modules/CStreamKernels/module.modulemap"
  rm -f "$build/modules/CStreamKernels/module.modulemap.new"
}

declare -A built=()
for target in "${targets[@]}"; do
  [ -n "${target_modules[$target]:-}" ] || { echo "fuzz build: unknown target '$target'" >&2; exit 2; }
  objects=()
  for module in ${target_modules[$target]}; do
    if [ "$module" = LinearAlgebra ]; then
      [ -n "${built[CStreamKernels]:-}" ] || { compile_stream_kernels; built[CStreamKernels]=1; }
      objects+=("$build/objects/CStreamKernels.o")
      swift_flags+=(-I "$build/modules/CStreamKernels")
    fi
    [ -n "${built[$module]:-}" ] || { compile_module "$module"; built[$module]=1; }
    objects+=("$build/objects/$module.o")
  done
  binary="$build/bin/$target"
  if [ -f "$binary" ] && [ -z "$(find "${objects[@]}" "Fuzz/Targets/$target.swift" Fuzz/Support Fuzz/build.sh -newer "$binary" -print -quit)" ]; then
    continue
  fi
  echo "fuzz build: target $target" >&2
  swiftc "${swift_flags[@]}" -module-name FuzzTarget "Fuzz/Targets/$target.swift" Fuzz/Support/*.swift "${objects[@]}" \
    -lzstd -lopenblas -lm -o "$binary" 2> >(grep -v 'ld.gold: warning: Cannot export local symbol' >&2)
done
