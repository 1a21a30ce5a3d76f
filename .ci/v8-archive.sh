# Sourced by .ci/run and the benchmarks: V8's prebuilt static library.
# CI cannot download it, so use the copy in ../shared/v8 when it exists
# (DESIGN.md §2); elsewhere cargo downloads it as usual.
_v8_archive="$(dirname "${BASH_SOURCE[0]}")/../../shared/v8/librusty_v8_simdutf_release_x86_64-unknown-linux-gnu.a.gz"
if [ -z "${RUSTY_V8_ARCHIVE:-}" ] && [ -f "$_v8_archive" ]; then
  RUSTY_V8_ARCHIVE="$(cd "$(dirname "$_v8_archive")" && pwd)/$(basename "$_v8_archive")"
  export RUSTY_V8_ARCHIVE
fi
unset _v8_archive
