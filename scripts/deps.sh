#!/bin/sh
# Install the build dependencies of mailsim when pkg-config says one is missing.
# Idempotent: on a machine that has everything it only checks and says so.
set -eu

# pkg-config module -> Debian package that provides it
MODULES="glib-2.0:libglib2.0-dev gio-2.0:libglib2.0-dev json-glib-1.0:libjson-glib-dev libcgraph:libgraphviz-dev libgvc:libgraphviz-dev cunit:libcunit1-dev"
# programs -> Debian package (dot renders PNG/PDF; gettext tools build the zh_CN catalogue)
PROGRAMS="dot:graphviz msgfmt:gettext"

missing=""
if ! command -v pkg-config >/dev/null 2>&1; then
    missing="pkg-config"
fi
for pair in $MODULES; do
    mod=${pair%%:*}
    pkg=${pair#*:}
    if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists "$mod"; then
        case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
    fi
done
for pair in $PROGRAMS; do
    prog=${pair%%:*}
    pkg=${pair#*:}
    if ! command -v "$prog" >/dev/null 2>&1; then
        case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
    fi
done
# Chinese labels in PNG/PDF diagrams need a font with CJK glyphs.
if ! command -v fc-list >/dev/null 2>&1 || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
    case " $missing " in *" fonts-wqy-microhei "*) ;; *) missing="$missing fonts-wqy-microhei" ;; esac
fi
# Optional, for the test suite only (a test whose tool is missing reports
# itself skipped): mscgen checks the .msc export; python3, curl and chromium
# (with chromium-driver) are the real clients of the live-mode tests (tests/live)
# and drive report.html in the browser test (tests/test_report_browser.py).
optional=""
if [ "${MAILSIM_OPTIONAL_DEPS:-1}" = 1 ]; then
    for pair in mscgen:mscgen python3:python3 curl:curl chromium:chromium chromedriver:chromium-driver; do
        prog=${pair%%:*}
        if ! command -v "$prog" >/dev/null 2>&1; then
            optional="$optional ${pair#*:}"
        fi
    done
fi

# `make fuzz` only: clang with libFuzzer and its sanitizers (Debian's clang
# package ships them); `make test` replays the fuzz corpora without it.
if [ "${MAILSIM_FUZZ:-0}" = 1 ] && ! command -v clang >/dev/null 2>&1; then
    missing="$missing clang"
fi

if [ -z "$missing" ] && [ -z "$optional" ]; then
    echo "deps: all build dependencies present"
    exit 0
fi

if [ -z "$missing" ]; then
    pkgs="$optional"
else
    pkgs="$missing $optional"
fi

if ! command -v apt-get >/dev/null 2>&1; then
    if [ -n "$missing" ]; then
        echo "deps: missing:$missing" >&2
        echo "deps: this system has no apt-get; install the equivalents of these Debian packages" >&2
        echo "deps: with your package manager, then run make again." >&2
        exit 1
    fi
    exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "deps: missing:$pkgs; run as root or install sudo" >&2
        exit 1
    fi
fi

echo "deps: installing:$pkgs"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
if ! $SUDO apt-get install -y -qq --no-install-recommends $pkgs >/dev/null; then
    if [ -n "$missing" ]; then
        echo "deps: apt-get could not install:$pkgs" >&2
        exit 1
    fi
    echo "deps: optional package(s)$optional not installed; continuing" >&2
fi
echo "deps: done"
