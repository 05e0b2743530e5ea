#!/bin/sh
# `make install` yields a usable library: installs the build into a temporary
# prefix, then builds against it the ways docs/install.md shows — pkg-config
# (shared), the static archive, CMake's find_package(corio) — in strict ISO
# C11 with no feature macro and from C++, runs a small program each way, and
# runs examples/http_server.c built against it through a graceful stop.
set -eu
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
fail() { echo "install_check: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(dirname "$(find "$prefix" -name corio.pc)")
libdir=$(dirname "$(find "$prefix" -name 'libcorio.so.1')")
test -L "$libdir/libcorio.so.1" || fail "no libcorio.so.1 SONAME link"
for t in corio-check corio-crawl corio-fakeweb corio-pubsub corio-animals corio-counter hello-server; do
    test -x "$prefix/bin/$t" || fail "$t not installed in bin/"
    # Man pages come with help2man at build time (cmake/man.cmake).
    if [ -d "$build/man" ]; then
        grep -q "^\.TH $(echo "$t" | tr a-z A-Z) \"1\"" "$prefix/share/man/man1/$t.1" ||
            fail "no man page $t(1) in share/man/man1/"
    fi
done

cat > "$tmp/use.c" <<'C'
#include <corio/corio.h>
static intptr_t body(void *arg) { corio_sleep(1); return (intptr_t)arg; }
int main(void) { return corio_run(body, (void *)(intptr_t)7) == 7 ? 0 : 1; }
C
cp "$tmp/use.c" "$tmp/use.cpp"
cp "$src/examples/http_server.c" "$tmp/"
strict="-std=c11 -pedantic -Wall -Wextra -Werror"

# The lines of docs/install.md, with the rpath for the temporary prefix.
export PKG_CONFIG_PATH="$pc"
cc $strict "$tmp/use.c" $(pkg-config --cflags --libs corio) -Wl,-z,now \
    -Wl,-rpath,"$(pkg-config --variable=libdir corio)" -o "$tmp/use-shared"
"$tmp/use-shared"
g++ -std=c++17 -Wall -Wextra -Werror "$tmp/use.cpp" $(pkg-config --cflags --libs corio) \
    -Wl,-rpath,"$libdir" -o "$tmp/use-cxx"
"$tmp/use-cxx"
cc $strict "$tmp/use.c" $(pkg-config --cflags corio) "$libdir/libcorio.a" \
   $(pkg-config --static --libs-only-l corio | sed 's/-lcorio//') -Wl,-z,now -o "$tmp/use-static"
"$tmp/use-static"
cc $strict "$tmp/http_server.c" $(pkg-config --cflags --libs corio) -Wl,-z,now \
    -Wl,-rpath,"$libdir" -o "$tmp/server-pc"
if readelf -d "$tmp/use-static" | grep -q 'libcorio\.so'; then fail "the static build needs libcorio.so"; fi

mkdir "$tmp/proj"
cp "$tmp/use.c" "$tmp/use.cpp" "$tmp/http_server.c" "$tmp/proj/"
cat > "$tmp/proj/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.20)
project(use C CXX)
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_EXTENSIONS OFF)
set(CMAKE_CXX_STANDARD 17)
add_compile_options(-pedantic -Wall -Wextra -Werror)
find_package(corio 1.0 REQUIRED)
add_executable(use-cmake use.c)
target_link_libraries(use-cmake PRIVATE corio::corio_static)
add_executable(use-cmake-cxx use.cpp)
target_link_libraries(use-cmake-cxx PRIVATE corio::corio)
add_executable(server-cmake http_server.c)
target_link_libraries(server-cmake PRIVATE corio::corio_static)
target_link_options(server-cmake PRIVATE -Wl,-z,now)
CM
cmake -S "$tmp/proj" -B "$tmp/proj/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/proj/build" >/dev/null
"$tmp/proj/build/use-cmake"
"$tmp/proj/build/use-cmake-cxx"

# The server answers, and SIGTERM lets a request in flight finish: exit 0.
wait_for() { # FILE TEXT
    for _ in $(seq 200); do grep -q "$2" "$1" && return 0; sleep 0.05; done
    fail "no '$2' from the server: $(cat "$1")"
}
graceful() { # PROGRAM
    out="$tmp/server.out"
    : > "$out" # emptied here, not in the child: the last server's lines must be gone before we look
    "$1" 0 > "$out" &
    pid=$!
    wait_for "$out" listening
    url=$(sed -n 's/^listening on //p' "$out")
    [ "$(curl -sS --max-time 20 "$url/hello/you")" = "hello, you" ] || fail "$1: GET /hello/you"
    [ "$(curl -sS --max-time 20 -d abc "$url/echo")" = "abc" ] || fail "$1: POST /echo"
    curl -sS --max-time 20 "$url/slow" > "$tmp/slow" &
    cpid=$!
    wait_for "$out" "slow: started"
    kill -TERM "$pid"
    wait "$pid" || fail "$1: exit status $? after SIGTERM"
    pid=
    wait "$cpid" || fail "$1: the request in flight was cut"
    [ "$(cat "$tmp/slow")" = "done" ] || fail "$1: /slow answered '$(cat "$tmp/slow")'"
}
graceful "$tmp/server-pc"
graceful "$tmp/proj/build/server-cmake"
echo "install_check: pkg-config, static and find_package(corio) builds run (C11 and C++17);" \
     "examples/http_server.c stops gracefully"
