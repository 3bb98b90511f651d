#!/usr/bin/env bash
# Installs the toolkit under PREFIX (default ~/.local) like a Unix tool, or removes it again:
#
#   PREFIX/bin/<tool>                                  the executables, with the Swift standard
#                                                      library and Foundation linked in statically
#   PREFIX/share/man/man1/<tool>.1                     manual pages made from each tool's --help
#   PREFIX/share/bash-completion/completions/<tool>    completions (bash, zsh, fish)
#   PREFIX/share/zsh/site-functions/_<tool>
#   PREFIX/share/fish/vendor_completions.d/<tool>.fish
#   PREFIX/lib/pythonX.Y/site-packages/flatframes      the Python package (Pipelines/python)
#   PREFIX/share/flatmin/install-manifest              every file and directory installed
#
# Usage: Pipelines/install.sh [PREFIX]
#        Pipelines/install.sh --uninstall [PREFIX]
#
# The executables need no Swift toolchain; they load OpenBLAS and zstd (libopenblas0,
# libzstd1) and the C/C++ runtime from the system. Installing again replaces what the manifest
# lists; a file in the way that the manifest does not list stops the install before anything
# is written. --uninstall removes exactly what the manifest lists, and the directories the
# install created once they are empty; PREFIX itself and anything else in it stay.
set -euo pipefail
caller=$(pwd)
cd "$(dirname "$0")/.."
repo=$(pwd -P)
me=install.sh
tools=(frames generate-ground-truth sample-measurements corrupt-sparse solve-flat evaluate)
manifest_path=share/flatmin/install-manifest

fail() { echo "$me: $*" >&2; exit 1; }

uninstall=false
case "${1:-}" in
  --uninstall) uninstall=true; shift ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  -*) fail "unknown option '$1' (usage: install.sh [--uninstall] [PREFIX])" ;;
esac
[ $# -le 1 ] || fail "one PREFIX at most (usage: install.sh [--uninstall] [PREFIX])"
prefix=${1:-${PREFIX:-$HOME/.local}}
case $prefix in /*) ;; *) prefix=$caller/$prefix ;; esac
if $uninstall; then [ -d "$prefix" ] || fail "$prefix is not a directory"; else mkdir -p "$prefix"; fi
prefix=$(cd "$prefix" && pwd -P)
manifest=$prefix/$manifest_path

# The manifest has one entry a line, relative to PREFIX: "f path" for a file, "d path" for a
# directory the install created (parents before children).
remove_installed() {
  local entries entry path i
  mapfile -t entries < "$manifest"
  for entry in "${entries[@]}"; do
    case $entry in
      "f "/*|"d "/*|*/../*|*/..|"f ../"*|"d ../"*|"f .."|"d ..") fail "$manifest: '$entry' leads out of $prefix" ;;
      "f "?*|"d "?*) ;;
      *) fail "$manifest: '$entry' is not an entry" ;;
    esac
  done
  for entry in "${entries[@]}"; do
    if [ "${entry%% *}" = f ]; then rm -f -- "$prefix/${entry#f }"; fi
  done
  rm -f -- "$manifest"
  for ((i = ${#entries[@]} - 1; i >= 0; i--)); do
    entry=${entries[i]}
    [ "${entry%% *}" = d ] || continue
    path=$prefix/${entry#d }
    [ -d "$path" ] || continue
    # Python writes bytecode next to the modules it imports; it goes with them.
    if [ "$(basename "$path")" = __pycache__ ]; then rm -f -- "$path"/*.pyc; fi
    if ! rmdir -- "$path" 2>/dev/null && find "$path" -mindepth 1 -maxdepth 1 ! -type d | grep -q .; then
      echo "$me: left $path (it holds files this script did not install)" >&2
    fi
  done
}

if $uninstall; then
  [ -f "$manifest" ] || fail "$prefix has no $manifest_path: nothing installed there to remove"
  count=$(grep -c '^f ' "$manifest" || true)
  remove_installed
  echo "removed $count files from $prefix"
  exit 0
fi

# Built apart from .build and .build-rel (which link the toolchain's shared libraries), one
# product at a time: a plain `swift build` would also build the test support target, which
# needs the Testing module that has no static build.
for t in "${tools[@]}"; do
  swift build -c release --static-swift-stdlib --build-path .build-static --product "$t" >&2
done
bin=$(swift build -c release --static-swift-stdlib --build-path .build-static --show-bin-path)

# swift-argument-parser's manual generator (the tool behind its generate-manual plugin), run on
# the built executables themselves; the plugin would rebuild them without --static-swift-stdlib.
# Its compiler warnings are upstream's.
parser=.build-static/checkouts/swift-argument-parser
swift build --package-path "$parser" --build-path .build-static/generate-manual --product generate-manual \
  -Xswiftc -suppress-warnings >&2
generate_manual=$(swift build --package-path "$parser" --build-path .build-static/generate-manual --show-bin-path)/generate-manual

python_site=$(python3 -c 'import sys, sysconfig
print(sysconfig.get_path("purelib", "posix_prefix", vars={"base": sys.argv[1], "platbase": sys.argv[1]}))' "$prefix")
python_site=${python_site#"$prefix"/}

# Everything is put together in a staging tree first, so that a failing step writes nothing.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/share/man/man1" "$stage/share/bash-completion/completions" \
  "$stage/share/zsh/site-functions" "$stage/share/fish/vendor_completions.d" "$stage/$python_site"

# The generator runs the script it is given with --experimental-dump-help; this one hands it the
# tool's dump prepared by manual_pages.py, which then completes the page (its docstring says why).
printf '#!/bin/sh\nexec python3 %s dump "$FLATMIN_TOOL"\n' "$repo/Pipelines/lib/manual_pages.py" > "$stage/dump-help"
chmod 755 "$stage/dump-help"
# Pages dated by the last commit, so that the same checkout gives the same pages.
date=$(git log -1 --format=%cs 2>/dev/null || date +%F)

for t in "${tools[@]}"; do
  install -m 755 "$bin/$t" "$stage/bin/$t"
  strip "$stage/bin/$t"
  FLATMIN_TOOL="$stage/bin/$t" "$generate_manual" "$stage/dump-help" --date "$date" \
    --output-directory "$stage/share/man/man1" >&2
  python3 Pipelines/lib/manual_pages.py finish "$stage/share/man/man1/$t.1"
  "$stage/bin/$t" --generate-completion-script bash > "$stage/share/bash-completion/completions/$t"
  "$stage/bin/$t" --generate-completion-script zsh > "$stage/share/zsh/site-functions/_$t"
  "$stage/bin/$t" --generate-completion-script fish > "$stage/share/fish/vendor_completions.d/$t.fish"
done
rm "$stage/dump-help"

# Dependencies (numpy, zstandard) are the Python environment's own, not copied into PREFIX.
PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-deps \
  --target "$stage/$python_site" Pipelines/python >&2

# Files in the way that a previous install did not put there stop the install here.
conflicts=()
while IFS= read -r path; do
  if [ -e "$prefix/$path" ] || [ -L "$prefix/$path" ]; then
    grep -qxF "f $path" "$manifest" 2>/dev/null || conflicts+=("$prefix/$path")
  fi
done < <(cd "$stage" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
[ ${#conflicts[@]} -eq 0 ] \
  || fail "${conflicts[0]} exists and was not installed by this script$([ ${#conflicts[@]} -gt 1 ] && echo " (nor $((${#conflicts[@]} - 1)) more)"); remove it or choose another PREFIX"

# A previous install goes first, so that files it had and this one lacks do not linger.
if [ -f "$manifest" ]; then remove_installed; fi

# The directories to create, parents first; entries are written as files land, so that an
# install stopped halfway can still be removed.
new_dirs=()
while IFS= read -r dir; do
  missing=()
  while [ "$dir" != . ] && [ ! -d "$prefix/$dir" ]; do missing=("$dir" "${missing[@]}"); dir=$(dirname "$dir"); done
  for dir in "${missing[@]}"; do
    case " ${new_dirs[*]} " in *" $dir "*) ;; *) new_dirs+=("$dir") ;; esac
  done
done < <(echo share/flatmin; cd "$stage" && find . -mindepth 1 -type d | sed 's|^\./||' | LC_ALL=C sort)
for dir in "${new_dirs[@]}"; do mkdir -- "$prefix/$dir"; done
printf 'd %s\n' "${new_dirs[@]}" | grep -v '^d $' > "$manifest" || true
while IFS= read -r path; do
  echo "f $path" >> "$manifest"
  if [ -x "$stage/$path" ]; then mode=755; else mode=644; fi
  install -m "$mode" "$stage/$path" "$prefix/$path"
done < <(cd "$stage" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)

echo "installed ${#tools[@]} tools, their manual pages and completions, and flatframes under $prefix"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "add $prefix/bin to PATH";; esac
if ! (cd / && env PYTHONPATH= python3 -c 'import os, sys, flatframes
sys.exit(os.path.dirname(flatframes.__file__) != os.path.join(sys.argv[1], "flatframes"))' "$prefix/$python_site") 2>/dev/null; then
  echo "for 'import flatframes': export PYTHONPATH=$prefix/$python_site\${PYTHONPATH:+:\$PYTHONPATH}"
fi
python3 -c 'import numpy, zstandard' 2>/dev/null \
  || echo "flatframes needs numpy and zstandard: python3 -m pip install numpy zstandard"
