#!/bin/sh
# Installs the OS Chromium package when the machine has no Chromium or Chrome, so that the
# playground's browser test runs (without one it skips). Used by .ci/run. Idempotent: does
# nothing when a browser is found. Never downloads a browser build of its own.
set -eu

for name in chromium chromium-browser google-chrome google-chrome-stable; do
	command -v "$name" >/dev/null 2>&1 && exit 0
done

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; else
		echo "install-chromium: no Chromium found; install the chromium package as root" >&2
		exit 1
	fi
fi

if command -v apt-get >/dev/null 2>&1; then
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
elif command -v dnf >/dev/null 2>&1; then
	$sudo dnf install -y -q chromium
elif command -v apk >/dev/null 2>&1; then
	$sudo apk add --quiet chromium
else
	echo "install-chromium: no known package manager; install Chromium yourself" >&2
	exit 1
fi
echo "install-chromium: installed the OS Chromium package" >&2
