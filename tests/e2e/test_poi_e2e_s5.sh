#!/usr/bin/env bash
# The POI end-to-end test on a capture that also holds the S5/S8 legs (GTPv2-C between S-GW
# and P-GW, GTP-U on S5-U): every user packet is seen twice on the wire and must be delivered
# once; IPv6 transport exercises the IPv6 F-TEIDs and outer headers.
set -euo pipefail
POI_E2E_GEN_ARGS="--s5" bash "$(dirname "$0")/test_poi_e2e.sh"
POI_E2E_GEN_ARGS="--ipv6-transport --vlan 100" bash "$(dirname "$0")/test_poi_e2e.sh"
