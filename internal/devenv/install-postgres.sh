#!/bin/sh
# Installs the OS PostgreSQL server package when the machine has no PostgreSQL binaries.
# Used by .ci/run and by development mode. Idempotent: does nothing when initdb is found.
set -eu

for dir in /usr/lib/postgresql/*/bin /usr/pgsql-*/bin; do
	[ -x "$dir/initdb" ] && exit 0
done
command -v initdb >/dev/null 2>&1 && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else
		echo "install-postgres: no PostgreSQL found; install the postgresql package as root" >&2
		exit 1
	fi
fi

if command -v apt-get >/dev/null 2>&1; then
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
elif command -v dnf >/dev/null 2>&1; then
	$sudo dnf install -y -q postgresql-server
elif command -v apk >/dev/null 2>&1; then
	$sudo apk add --quiet postgresql
else
	echo "install-postgres: no known package manager; install PostgreSQL yourself" >&2
	exit 1
fi
echo "install-postgres: installed the OS PostgreSQL package" >&2
