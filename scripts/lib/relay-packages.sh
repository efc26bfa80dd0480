# Licensed under the Apache License, Version 2.0.
#
# Sourced by scripts/relay-demo and scripts/relay-test: installs the Debian
# packages Relay needs to build and run, only those still missing.
#   relay_install_packages PKG...   (RELAY_SKIP_APT=1: report, never install)

relay_install_packages() {
    local missing=() pkg sudo=
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
                grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "${RELAY_SKIP_APT:-0}" = 1 ]; then
        echo "missing packages (RELAY_SKIP_APT=1, not installing): ${missing[*]}"
        return 0
    fi
    [ "$(id -u)" = 0 ] || sudo=sudo
    echo "installing: ${missing[*]}"
    # Keep the distribution's apache2 service from starting on port 80:
    # Relay's servers are started by the scripts, on loopback.
    local policy=/usr/sbin/policy-rc.d made_policy=0 rc=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null &&
            $sudo chmod 755 "$policy" && made_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -q || rc=$?
    if [ $rc -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
            --no-install-recommends "${missing[@]}" || rc=$?
    fi
    [ $made_policy = 1 ] && $sudo rm -f "$policy"
    return $rc
}

# The packages every script needs: httpd and its headers, APR, OpenSSL,
# the build tools, and Perl for the origin and the test suite.
RELAY_BASE_PACKAGES=(apache2 apache2-dev libapr1-dev libaprutil1-dev
                     libssl-dev cmake gcc make perl)
