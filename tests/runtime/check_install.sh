#!/bin/sh
# Installs the runtime component of a build into a scratch prefix, compiles a C consumer with
# nothing but `pkg-config --cflags --libs spcc`, and runs it against the fixture models.
# Usage: check_install.sh CMAKE BUILD_DIR PREFIX CC CONSUMER.c FIXTURE_DIR
set -eu
cmake=$1 build=$2 prefix=$3 cc=$4 consumer=$5 fixtures=$6

rm -rf "$prefix"
"$cmake" --install "$build" --prefix "$prefix" --component runtime >/dev/null

pc=$(find "$prefix" -name spcc.pc)
[ -n "$pc" ] || { echo "spcc.pc was not installed under $prefix" >&2; exit 1; }
[ -f "$prefix/include/spcc/spcc.h" ] || { echo "spcc.h was not installed" >&2; exit 1; }

PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
flags=$(pkg-config --cflags --libs spcc)
echo "pkg-config --cflags --libs spcc: $flags"
case $flags in
  *"$prefix"*) ;;
  *) echo "spcc.pc does not point into the install prefix $prefix" >&2; exit 1 ;;
esac

# shellcheck disable=SC2086 # $flags is a list of flags
"$cc" -std=c99 -Wall -Wextra -Wpedantic -Werror "$consumer" -o "$prefix/consumer" $flags -lpthread

libdir=$(pkg-config --variable=libdir spcc)
LD_LIBRARY_PATH=$libdir
export LD_LIBRARY_PATH
# The consumer must use the installed library, not the one in the build tree.
ldd "$prefix/consumer" | grep -q "$libdir/libspcc_runtime" || {
  echo "consumer does not load libspcc_runtime from $libdir:" >&2
  ldd "$prefix/consumer" >&2
  exit 1
}
"$prefix/consumer" "$fixtures"
