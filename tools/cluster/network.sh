# shellcheck shell=bash
# The local cluster's bridge names its cluster: its alias is "sparkplat:<state folder>" (set by
# tools/cluster/cluster.sh up). Sourced by cluster.sh and test/cluster/lib.sh.

# bridge_owner BRIDGE: the state folder of the cluster that made BRIDGE; empty when the bridge does
# not exist or carries no such alias.
bridge_owner() { ip -o link show "$1" 2>/dev/null | sed -n 's/.* alias sparkplat:\(.*\)$/\1/p'; }

# bridge_alias STATE: the alias that marks a bridge as STATE's.
bridge_alias() { printf 'sparkplat:%s' "$1"; }
