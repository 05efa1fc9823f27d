#!/usr/bin/env bash
# Install the PostgreSQL server binaries (Debian package `postgresql`) for the scale-out tests.
# Idempotent: does nothing when initdb/pg_ctl are already there. Needs root (apt-get).
# tests/test_reliability_postgres.py then starts a throwaway cluster on loopback by itself
# (initdb + pg_ctl in a temp dir, as the `postgres` user when run as root); no system
# cluster needs to run. The Python driver is psycopg 3 (psycopg[binary], already in the venv).
set -euo pipefail

find_initdb() {
  command -v initdb 2>/dev/null && return 0
  ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 | grep . && return 0
  return 1
}

if bin=$(find_initdb); then
  echo "PostgreSQL already installed: $("$bin" --version) ($bin)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "error: installing PostgreSQL needs root: sudo $0" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d keeps the package from starting a system cluster inside containers/CI
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
bin=$(find_initdb) || { echo "error: postgresql installed but initdb not found" >&2; exit 1; }
echo "PostgreSQL installed: $("$bin" --version) ($bin)"
