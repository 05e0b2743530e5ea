#!/bin/sh
# `make install` yields a usable library: installs the build into a temporary
# prefix, then builds and runs a small program against it three ways:
# pkg-config (shared), the static archive, and CMake's find_package(corio).
set -eu
build=$(cd "$1" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"

cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(dirname "$(find "$prefix" -name corio.pc)")
libdir=$(dirname "$(find "$prefix" -name 'libcorio.so.1')")
test -L "$libdir/libcorio.so.1" || { echo "install_check: no libcorio.so.1 SONAME link" >&2; exit 1; }

cat > "$tmp/use.c" <<'C'
#include <corio/corio.h>
static intptr_t body(void *arg) { corio_sleep(1); return (intptr_t)arg; }
int main(void) { return corio_run(body, (void *)(intptr_t)7) == 7 ? 0 : 1; }
C

export PKG_CONFIG_PATH="$pc"
cc "$tmp/use.c" $(pkg-config --cflags --libs corio) -Wl,-rpath,"$libdir" -o "$tmp/use-shared"
"$tmp/use-shared"
cc "$tmp/use.c" $(pkg-config --cflags corio) "$libdir/libcorio.a" $(pkg-config --static --libs-only-l corio | sed 's/-lcorio//') -o "$tmp/use-static"
"$tmp/use-static"

mkdir "$tmp/proj"
cp "$tmp/use.c" "$tmp/proj/"
cat > "$tmp/proj/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.20)
project(use C)
find_package(corio 1.0 REQUIRED)
add_executable(use-cmake use.c)
target_link_libraries(use-cmake PRIVATE corio::corio_static)
CM
cmake -S "$tmp/proj" -B "$tmp/proj/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/proj/build" >/dev/null
"$tmp/proj/build/use-cmake"
echo "install_check: pkg-config, static and find_package(corio) builds run"
