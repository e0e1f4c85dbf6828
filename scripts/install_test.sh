#!/usr/bin/env bash
# Install vtape from a build directory into a temporary prefix, then build a program
# outside the source tree against the installed copy, every way a user would:
#   CMake find_package(vtape) with vtape::vtape (shared) and vtape::vtape_static,
#   cc $(pkg-config --cflags --libs vtape) (shared) and --static (static),
# and run each. The program is examples/custom_op.c, copied out of the tree.
# Usage: bash scripts/install_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: install_test.sh BUILD_DIR}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/vtape/vtape.h lib/libvtape.a bin/vtape share/man/man1/vtape.1 \
         lib/cmake/vtape/vtapeConfig.cmake lib/cmake/vtape/vtapeConfigVersion.cmake; do
  [[ -f $prefix/$f ]] || { echo "install_test: $f not installed" >&2; exit 1; }
done
so=$(find "$prefix" -name 'libvtape.so.*.*.*' | head -1)
pc=$(find "$prefix" -name vtape.pc | head -1)
[[ -n $so && -n $pc ]] || { echo "install_test: libvtape.so or vtape.pc not installed" >&2; exit 1; }
libdir=$(dirname "$so")
soname=$(readelf -d "$so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[[ $soname == libvtape.so.* ]] || { echo "install_test: SONAME '$soname'" >&2; exit 1; }
"$prefix/bin/vtape" --help >/dev/null

# The outside project: one source file and its own CMakeLists.txt.
proj=$tmp/project
mkdir -p "$proj"
cp "$src/examples/custom_op.c" "$proj/main.c"
cat > "$proj/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(outside C)
find_package(vtape 0.1 REQUIRED)
add_executable(main_shared main.c)
target_link_libraries(main_shared PRIVATE vtape::vtape m)
add_executable(main_static main.c)
target_link_libraries(main_static PRIVATE vtape::vtape_static)
CM
needs_vtape_so() { readelf -d "$1" | grep -q "NEEDED.*libvtape\.so"; }

cmake -S "$proj" -B "$proj/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$proj/build" >/dev/null
needs_vtape_so "$proj/build/main_shared" || { echo "install_test: vtape::vtape is not the shared library" >&2; exit 1; }
! needs_vtape_so "$proj/build/main_static" || { echo "install_test: vtape::vtape_static needs libvtape.so" >&2; exit 1; }
"$proj/build/main_shared"
"$proj/build/main_static"

export PKG_CONFIG_PATH=$(dirname "$pc")
cc -o "$proj/pc_shared" "$proj/main.c" $(pkg-config --cflags --libs vtape) -lm
needs_vtape_so "$proj/pc_shared" || { echo "install_test: pkg-config did not link libvtape.so" >&2; exit 1; }
LD_LIBRARY_PATH=$libdir "$proj/pc_shared"
# --static lists what the static library needs; -Bstatic picks libvtape.a for -lvtape.
static_deps=$(pkg-config --static --libs vtape | sed 's/-lvtape\b//')
cc -o "$proj/pc_static" "$proj/main.c" $(pkg-config --cflags vtape) \
   -L"$libdir" -Wl,-Bstatic -lvtape -Wl,-Bdynamic $static_deps
! needs_vtape_so "$proj/pc_static" || { echo "install_test: the --static build needs libvtape.so" >&2; exit 1; }
"$proj/pc_static"
# A model trained on a data file of its own (examples/own_data.c), on a small CSV.
cp "$src/examples/own_data.c" "$proj/own_data.c"
awk 'BEGIN { srand(3); for (i = 0; i < 300; i++) { row = "";
       for (j = 0; j < 16; j++) row = row (j ? "," : "") sprintf("%.3f", rand());
       print row } }' > "$proj/mine.csv"
cc -o "$proj/own_data" "$proj/own_data.c" $(pkg-config --cflags --libs vtape) -lm
LD_LIBRARY_PATH=$libdir "$proj/own_data" "$proj/mine.csv" 1 >/dev/null
echo "install_test: CMake (shared, static) and pkg-config (shared, static) builds ran; own_data trained on a CSV"
