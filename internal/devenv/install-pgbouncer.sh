#!/bin/sh
# Installs the OS PgBouncer package when the machine has no pgbouncer binary. Used by .ci/run:
# the tests run PgBouncer in transaction mode in front of their PostgreSQL (package
# internal/pgbouncer). Idempotent: does nothing when pgbouncer is found.
set -eu

for p in /usr/sbin/pgbouncer /usr/bin/pgbouncer /usr/local/bin/pgbouncer; do
	[ -x "$p" ] && exit 0
done
command -v pgbouncer >/dev/null 2>&1 && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else
		echo "install-pgbouncer: no pgbouncer found; install the pgbouncer package as root" >&2
		exit 1
	fi
fi

if command -v apt-get >/dev/null 2>&1; then
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends pgbouncer >/dev/null
	# The package starts a system-wide pgbouncer on port 6432; the tests start their own.
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		$sudo systemctl disable --now pgbouncer >/dev/null 2>&1 || true
	fi
elif command -v dnf >/dev/null 2>&1; then
	$sudo dnf install -y -q pgbouncer
elif command -v apk >/dev/null 2>&1; then
	$sudo apk add --quiet pgbouncer
else
	echo "install-pgbouncer: no known package manager; install PgBouncer yourself" >&2
	exit 1
fi
echo "install-pgbouncer: installed the OS PgBouncer package" >&2
