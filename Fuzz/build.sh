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
# targets (CTemporaryFiles, CStreamKernels) are compiled with clang under the same instrumentation.
#
#   Fuzz/build.sh              every target
#   Fuzz/build.sh frame-reader only the ones named
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${FUZZ_BUILD:-$root/.build-fuzz}
mkdir -p "$build/modules" "$build/objects" "$build/bin"

swift_flags=(-sanitize=fuzzer,address -parse-as-library -O -g -Xcc -w
             -I "$build/modules" -I Sources/CZstd -I Sources/COpenBLAS -I Sources/CZlib)

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

# A C target of the package (every .c in Sources/NAME, its include/*.h as one module), compiled
# with clang under the same instrumentation into one relocatable object.
compile_c_module() {
  local name=$1 object="$build/objects/$1.o" parts=() source part
  if [ ! -f "$object" ] || [ -n "$(find "Sources/$name" Fuzz/build.sh -newer "$object" -print -quit)" ]; then
    echo "fuzz build: module $name" >&2
    for source in "Sources/$name"/*.c; do
      part="$build/objects/$name-$(basename "$source" .c).o"
      clang -O2 -g -fsanitize=fuzzer-no-link,address -I "Sources/$name/include" -c "$source" -o "$part"
      parts+=("$part")
    done
    ld -r "${parts[@]}" -o "$object"
  fi
  mkdir -p "$build/modules/$name"
  { printf 'module %s {\n' "$name"
    for header in "$root/Sources/$name/include"/*.h; do printf '    header "%s"\n' "$header"; done
    printf '    export *\n}\n'; } > "$build/modules/$name/module.modulemap.new"
  cmp -s "$build/modules/$name/module.modulemap.new" "$build/modules/$name/module.modulemap" \
    || mv "$build/modules/$name/module.modulemap.new" "$build/modules/$name/module.modulemap"
  rm -f "$build/modules/$name/module.modulemap.new"
}

# The C targets each library module imports (as in Package.swift).
declare -A c_imports=([Frames]="CTemporaryFiles" [LinearAlgebra]="CStreamKernels" [Models]="CStreamKernels")

declare -A built=()
for target in "${targets[@]}"; do
  [ -n "${target_modules[$target]:-}" ] || { echo "fuzz build: unknown target '$target'" >&2; exit 2; }
  objects=()
  for module in ${target_modules[$target]}; do
    for c_module in ${c_imports[$module]:-}; do
      [ -n "${built[$c_module]:-}" ] || { compile_c_module "$c_module"; built[$c_module]=1; }
      [[ " ${objects[*]} " == *" $build/objects/$c_module.o "* ]] || objects+=("$build/objects/$c_module.o")
      swift_flags+=(-I "$build/modules/$c_module")
    done
    [ -n "${built[$module]:-}" ] || { compile_module "$module"; built[$module]=1; }
    objects+=("$build/objects/$module.o")
  done
  binary="$build/bin/$target"
  if [ -f "$binary" ] && [ -z "$(find "${objects[@]}" "Fuzz/Targets/$target.swift" Fuzz/Support Fuzz/build.sh -newer "$binary" -print -quit)" ]; then
    continue
  fi
  echo "fuzz build: target $target" >&2
  swiftc "${swift_flags[@]}" -module-name FuzzTarget "Fuzz/Targets/$target.swift" Fuzz/Support/*.swift "${objects[@]}" \
    -lzstd -lz -lopenblas -lm -o "$binary" 2> >(grep -v 'ld.gold: warning: Cannot export local symbol' >&2)
done
