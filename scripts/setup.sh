#!/usr/bin/env bash
# Installs everything osfp needs on a fresh Debian/Ubuntu machine (run as root):
# the system tools, pnpm, and the workspace's dependencies. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION="$(node -p "require('./package.json').packageManager.split('@')[1]")"
# tmux and chromium: the tests that read the terminal panel and drive the dashboard in a real browser.
APT_PACKAGES=(
  nmap redis-server p0f tcpdump tshark iproute2 iptables python3-scapy dnsmasq-base
  openssl procps psmisc libpcap-dev docker-compose ca-certificates tmux chromium
  python3-numpy python3-pandas python3-sklearn
)

if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: run as root (sudo scripts/setup.sh): it installs system packages" >&2
  exit 1
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  # tshark asks whether non-root users may capture; answer no, non-interactively.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The packaged redis-server starts a system instance; osfp starts its own, so stop it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
  systemctl stop redis-server || true
fi

if ! command -v node >/dev/null 2>&1; then
  echo "setup.sh: Node.js >= 20.18 is required (https://nodejs.org or your distribution's nodejs)" >&2
  exit 1
fi
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null 2>&1 || COREPACK_INTEGRITY_KEYS=0 corepack prepare "pnpm@$PNPM_VERSION" --activate
fi
pnpm install --frozen-lockfile
