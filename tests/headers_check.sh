#!/bin/sh
# Every public header stands alone: each one, and <corio/corio.h>, compiles
# as the only include of a translation unit in strict ISO C11 with no feature
# macro (what a user's `-std=c11 -pedantic` build sees) and in C++17, under
# gcc and, when installed, clang. Usage: headers_check.sh INCLUDE_DIR [CC].
set -eu
inc=$(cd "$1" && pwd)
cc=${2:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ccs=$cc
command -v clang >/dev/null 2>&1 && [ "$(basename "$cc")" != clang ] && ccs="$ccs clang"
cxxs=g++
command -v clang++ >/dev/null 2>&1 && cxxs="$cxxs clang++"

fail=0
n=0
for h in "$inc"/corio/*.h; do
    name=$(basename "$h")
    # A use after the include, so an unused-but-broken declaration still counts.
    printf '#include <corio/%s>\nint corio_headers_check_%s;\n' "$name" "$n" > "$tmp/t.c"
    cp "$tmp/t.c" "$tmp/t.cpp"
    for c in $ccs; do
        if ! "$c" -std=c11 -pedantic -Wall -Wextra -Werror -fsyntax-only -I"$inc" "$tmp/t.c" \
            2> "$tmp/err"; then
            echo "headers_check: corio/$name alone fails under $c -std=c11 -pedantic:" >&2
            cat "$tmp/err" >&2
            fail=1
        fi
    done
    for c in $cxxs; do
        if ! "$c" -std=c++17 -pedantic -Wall -Wextra -Werror -fsyntax-only -I"$inc" "$tmp/t.cpp" \
            2> "$tmp/err"; then
            echo "headers_check: corio/$name alone fails under $c -std=c++17:" >&2
            cat "$tmp/err" >&2
            fail=1
        fi
    done
    n=$((n + 1))
done
[ "$fail" -eq 0 ] || exit 1
echo "headers_check: $n headers stand alone under $ccs (C11) and $cxxs (C++17)"
