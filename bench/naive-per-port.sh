#!/bin/bash
# The naive block, for bench/vhostnet.sh: one iptables-legacy and one
# arptables-legacy DROP rule per direction per guest port vif1.0 .. vifN.0,
# appended to FORWARD one command at each (as a shell script written without
# the seed's rule-5 trick would do it); unblock deletes them one by one.
# IPv4 and ARP only, like the seed. 4 commands per guest. flush empties both
# FORWARD chains; reblock = flush + block (the state a timed unblock needs).
#
#   naive-per-port.sh block|unblock|reblock N
#   naive-per-port.sh flush
set -e
IPTABLES=${IPTABLES:-iptables-legacy}
ARPTABLES=${ARPTABLES:-arptables-legacy}
case "$1" in
  block) op=-A ;;
  unblock) op=-D ;;
  flush | reblock)
    $IPTABLES -F FORWARD
    $ARPTABLES -F FORWARD
    [ "$1" = flush ] && exit 0
    op=-A ;;
  *) echo "usage: $0 block|unblock|reblock N | flush" >&2; exit 2 ;;
esac
for ((i = 1; i <= $2; i++)); do
  $IPTABLES $op FORWARD -m physdev --physdev-in "vif$i.0" -j DROP
  $IPTABLES $op FORWARD -m physdev --physdev-out "vif$i.0" -j DROP
  $ARPTABLES $op FORWARD -i "vif$i.0" -j DROP
  $ARPTABLES $op FORWARD -o "vif$i.0" -j DROP
done
