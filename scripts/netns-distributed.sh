#!/usr/bin/env bash
# One job on two "hosts" (network namespaces, iproute2; needs root): a `spate broker` on a
# bridge at 10.77.0.1, two `spate example word-count --distributed` processes in namespaces
# sp1 (10.77.0.11) and sp2 (10.77.0.12). Mid-run sp2's link goes down for 12 s — a network
# partition, not a crash: the process keeps running but reaches nothing — then comes back.
# The other process takes sp2's tasks over after the 6 s session timeout; sp2's next commit is
# refused (its generation is gone), it rejoins, and the committed output must equal one
# process's run on the same input. Prints IDENTICAL or fails.
#
#   cargo build -p spate && sudo scripts/netns-distributed.sh [target/debug/spate]
set -euo pipefail
S=$(realpath "${1:-target/debug/spate}")
W=$(mktemp -d)
B=10.77.0.1:19500
cleanup() {
  pkill -f "$W" 2>/dev/null || true
  for i in 1 2; do ip netns del sp$i 2>/dev/null || true; ip link del v$i 2>/dev/null || true; done
  ip link del br-spate 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
ip link add br-spate type bridge
ip addr add 10.77.0.1/24 dev br-spate
ip link set br-spate up
for i in 1 2; do
  ip netns add sp$i
  ip link add v$i type veth peer name v$i-ns
  ip link set v$i master br-spate
  ip link set v$i up
  ip link set v$i-ns netns sp$i
  ip netns exec sp$i ip addr add 10.77.0.1$i/24 dev v$i-ns
  ip netns exec sp$i ip link set v$i-ns up
  ip netns exec sp$i ip link set lo up
done
"$S" broker --listen $B --data-dir "$W/broker" > "$W/broker.log" 2>&1 &
sleep 1
common=(example word-count --bootstrap $B --bounded --partitions 4 --input words --checkpoint-interval 200ms)
"$S" "${common[@]}" --generate 3000000 --output counts-single --group single --checkpoint-dir "$W/single" > "$W/single.log" 2>&1
pids=()
for i in 1 2; do
  ip netns exec sp$i "$S" "${common[@]}" --output counts-dist --group wcs --checkpoint-dir "$W/p$i" \
    --distributed nsjob --instance-id p$i --session-timeout 6s > "$W/p$i.log" 2>&1 &
  pids+=($!)
done
sleep 4
"$S" jobs group nsjob --bootstrap $B | head -5
echo "partitioning sp2 for 12 s"
ip netns exec sp2 ip link set v2-ns down
sleep 12
"$S" jobs group nsjob --bootstrap $B | head -5
ip netns exec sp2 ip link set v2-ns up
for p in "${pids[@]}"; do wait "$p"; done
grep -h "UNKNOWN_MEMBER_ID\|ILLEGAL_GENERATION\|FENCED" "$W/p2.log" | head -2 || true
for t in counts-single counts-dist; do
  "$S" consume $t --bootstrap $B --from-beginning --exit-at-end 2>/dev/null | sort > "$W/$t.txt"
done
wc -l < "$W/counts-single.txt"
cmp "$W/counts-single.txt" "$W/counts-dist.txt" && echo IDENTICAL
