#!/bin/sh
# `make install` yields a usable library: installs the build into a temporary
# prefix, then builds and runs a small program against it three ways:
# pkg-config (shared), the static archive, and CMake's find_package(corio),
# each in strict ISO C11 with no feature macro, and once more from C++.
set -eu
build=$(cd "$1" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"

cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(dirname "$(find "$prefix" -name corio.pc)")
libdir=$(dirname "$(find "$prefix" -name 'libcorio.so.0')")
test -L "$libdir/libcorio.so.0" || { echo "install_check: no libcorio.so.0 SONAME link" >&2; exit 1; }

cat > "$tmp/use.c" <<'C'
#include <corio/corio.h>
static intptr_t body(void *arg) { corio_sleep(1); return (intptr_t)arg; }
int main(void) { return corio_run(body, (void *)(intptr_t)7) == 7 ? 0 : 1; }
C

cp "$tmp/use.c" "$tmp/use.cpp"
strict="-std=c11 -pedantic -Wall -Wextra -Werror"

export PKG_CONFIG_PATH="$pc"
cc $strict "$tmp/use.c" $(pkg-config --cflags --libs corio) -Wl,-rpath,"$libdir" -o "$tmp/use-shared"
"$tmp/use-shared"
g++ -std=c++17 -Wall -Wextra -Werror "$tmp/use.cpp" $(pkg-config --cflags --libs corio) \
    -Wl,-rpath,"$libdir" -o "$tmp/use-cxx"
"$tmp/use-cxx"
cc $strict "$tmp/use.c" $(pkg-config --cflags corio) "$libdir/libcorio.a" $(pkg-config --static --libs-only-l corio | sed 's/-lcorio//') -o "$tmp/use-static"
"$tmp/use-static"

mkdir "$tmp/proj"
cp "$tmp/use.c" "$tmp/use.cpp" "$tmp/proj/"
cat > "$tmp/proj/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.20)
project(use C CXX)
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_EXTENSIONS OFF)
set(CMAKE_CXX_STANDARD 17)
add_compile_options(-pedantic -Wall -Wextra -Werror)
find_package(corio 0.1 REQUIRED)
add_executable(use-cmake use.c)
target_link_libraries(use-cmake PRIVATE corio::corio_static)
add_executable(use-cmake-cxx use.cpp)
target_link_libraries(use-cmake-cxx PRIVATE corio::corio)
CM
cmake -S "$tmp/proj" -B "$tmp/proj/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/proj/build" >/dev/null
"$tmp/proj/build/use-cmake"
"$tmp/proj/build/use-cmake-cxx"
echo "install_check: pkg-config, static and find_package(corio) builds run (C11 and C++17)"
