#!/usr/bin/env bash
# Instructions per message on the `seq` workload, by callgrind: for each
# channel, the difference of the totals of a 300,000- and a 100,000-message
# run of examples/seq_instructions.rs, divided by 200,000. Instruction counts
# do not depend on machine noise, so one run of each is enough.
#
#   scripts/instructions.sh [channel ...]     (default: every contender)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example seq_instructions >/dev/null 2>&1 ||
    cargo build --release --example seq_instructions
bin=target/release/examples/seq_instructions
channels=("$@")
if [ ${#channels[@]} -eq 0 ]; then
    channels=(unbounded bounded1024 spsc spsc_bounded1024 crossbeam_unbounded
        crossbeam_bounded1024 kanal_unbounded kanal_bounded1024 may_spsc may_mpmc)
fi
total() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
printf '%-24s %s\n' channel instructions/message
for channel in "${channels[@]}"; do
    small=$(total "$channel" 100000)
    large=$(total "$channel" 300000)
    awk -v a="$small" -v b="$large" -v c="$channel" \
        'BEGIN { printf "%-24s %.1f\n", c, (b - a) / 200000 }'
done
