#!/usr/bin/env bash
# Installs the Debian 12 packages Overt needs to build, test, fuzz and demo.
# As root it runs apt-get; otherwise it prints the exact command to run and fails.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libpcap-dev libssl-dev libxml2-dev libxml2-utils libmicrohttpd-dev libgnutls28-dev
  libcurl4-openssl-dev libyaml-dev libsqlite3-dev sqlite3 libcmocka-dev
  tshark asn1c dumpasn1 python3-scapy openssl curl iproute2 procps xxd
  python3-cryptography
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer no, non-interactively.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "deps: missing packages; run as root:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
