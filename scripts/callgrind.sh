#!/usr/bin/env bash
# Instructions per operation under callgrind (load-independent), for each path of the hot-path
# example. Usage: scripts/callgrind.sh [USERS] [COUNT] [OPERATION...]
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-1000}
count=${2:-1000}
shift $(( $# > 2 ? 2 : $# ))
ops=("$@")
if [ ${#ops[@]} -eq 0 ]; then
  ops=(floor_secret floor_plain confirm_secret confirm_plain wrong_code unknown_user throttled
       validation_error resend sign_up_passwordless)
fi
cargo build --release --example hot_path -q
out=$(mktemp -d)
for op in "${ops[@]}"; do
  valgrind --tool=callgrind --toggle-collect='hot_path::measured*' \
    --callgrind-out-file="$out/$op.out" "${CARGO_TARGET_DIR:-target}/release/examples/hot_path" "$op" "$users" "$count" \
    >/dev/null 2>&1
  total=$(callgrind_annotate "$out/$op.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1}')
  printf '%-22s %10d instructions per operation\n' "$op" $(( total / count ))
done
echo "raw profiles: $out"
