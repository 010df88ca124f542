#!/usr/bin/env bash
# Installs Debian's chromium for porcupine's headless browser test
# (go test ./porcupine -run VisualizeBrowser). Safe to run repeatedly; it never
# fails the caller, because the test skips itself when chromium is absent.
set -u

have_chromium() {
	[ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1
}

if have_chromium; then
	echo "install-chromium: chromium already present: $(command -v chromium || command -v chromium-browser || echo /usr/bin/chromium)"
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-chromium: no apt-get here; install chromium by hand (the browser test will be skipped)"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		SUDO="sudo -n"
	else
		echo "install-chromium: not root and no passwordless sudo; cannot install chromium (the browser test will be skipped)"
		exit 0
	fi
fi

export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update; then
	echo "install-chromium: apt-get update failed (the browser test will be skipped)"
	exit 0
fi
if ! $SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core; then
	echo "install-chromium: apt-get install chromium failed (the browser test will be skipped)"
	exit 0
fi

if have_chromium; then
	echo "install-chromium: installed $(chromium --version 2>/dev/null || echo chromium)"
else
	echo "install-chromium: apt-get finished but no chromium binary found"
fi
exit 0
