#!/usr/bin/env bash
# Installs the Debian 12 packages jarip needs, only those missing. Usage:
#   scripts/install-deps.sh          build and run (compiler, libraries)
#   scripts/install-deps.sh --test   also what the tests need (clang for fuzzing/sanitizers, openssl, python3-dkim,
#                                    Postfix with Cyrus SASL for the email tests, PostgreSQL, Patroni and etcd for
#                                    the storage drills, Chromium and Node.js for the console's browser tests)
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config ccache git ca-certificates curl python3
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
  libsqlite3-dev libpq-dev libssl-dev libsodium-dev libtomlplusplus-dev
)
if [[ ${1:-} == --test ]]; then
  packages+=(libgtest-dev clang-14 libclang-rt-14-dev openssl procps python3-dkim postfix sasl2-bin libsasl2-modules postgresql-15 patroni etcd-server etcd-client chromium)
  # Node.js may come from elsewhere (NodeSource bundles npm): Debian's npm would fight it.
  if ! command -v npm >/dev/null 2>&1; then packages+=(nodejs npm); fi
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  # The tests run their own private Postfix on loopback; the system's must stay unconfigured and
  # stopped (no listener on port 25, no mail leaving the machine).
  if [[ " ${missing[*]} " == *" postfix "* ]]; then
    echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
  fi
  # The PostgreSQL drills start their own private servers on loopback; the package must not create
  # and start a system cluster on port 5432.
  if [[ " ${missing[*]} " == *" postgresql-15 "* ]]; then
    $sudo mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.d/jarip.conf >/dev/null
  fi
  # Packages with a daemon (etcd, Patroni, PostgreSQL, Postfix) must not start it: the tests start
  # their own on loopback and stop them. policy-rc.d answering 101 is Debian's way to say so.
  policy_added=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    policy_added=1
  fi
  status=0
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
  if [[ -n $policy_added ]]; then $sudo rm -f /usr/sbin/policy-rc.d; fi
  if ((status != 0)); then exit "$status"; fi
fi
