#!/bin/sh
# The runtime stage of docker/Dockerfile.cpu and docker/Dockerfile.gpu: Python 3 and the ML stack,
# installed with the base's own tools. Read from the environment (the Dockerfiles' build args):
#   ML_INSTALL        auto (default) | apt | pip | none
#                       auto: pip when the base's python3 has pip (python:* images); else apt when
#                       the base has apt-get (Debian, Ubuntu); else pip after dnf/yum installed
#                       python3 and pip (Amazon Linux)
#                       apt:  Debian/Ubuntu packages, APT_PACKAGES
#                       pip:  PIP_PACKAGES, after installing python3 and pip with the base's
#                             package manager when it lacks them
#                       none: nothing; the base brings its own Python stack
#   APT_PACKAGES      Debian package names (python3 and python3-pip always); those this base's archive lacks (python3-torch before
#                     Debian 12, say) are skipped with a warning
#   APT_STUB_PACKAGES packages that are dependencies but never used at run time, replaced by empty
#                     stubs (default python3-pythran: Debian 12's python3-scipy Depends on it, and it
#                     would bring gcc, g++, boost and the Python headers, ~450 MB, into the image)
#   PIP_PACKAGES      pip requirement specifiers
#   PIP_EXTRA_INDEX_URL, PIP_INDEX_URL, …  honoured by pip itself
# Afterwards `python` and `pip` are on PATH too. Leaves no package lists, caches or compilers
# behind (recommends are never installed).
set -eu

log() { echo "sagerun-install-ml-stack: $*" >&2; }
die() { log "error: $*"; exit 1; }

mode=${ML_INSTALL:-auto}
apt_packages=${APT_PACKAGES:-}
apt_stub_packages=${APT_STUB_PACKAGES-python3-pythran}
pip_packages=${PIP_PACKAGES:-}

has() { command -v "$1" >/dev/null 2>&1; }
has_pip() { has python3 && python3 -m pip --version >/dev/null 2>&1; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed$"; }

apt_install() {
  missing=
  for package in "$@"; do
    installed "$package" || missing="$missing $package"
  done
  if [ -z "$missing" ]; then
    log "apt: already installed: $*"
    return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  available=
  for package in $missing; do
    if apt-cache show "$package" >/dev/null 2>&1; then
      available="$available $package"
    else
      log "warning: $package is not in this base's package archive: skipped"
    fi
  done
  if [ -n "$available" ]; then
    log "apt-get install$available"
    # shellcheck disable=SC2086  # a list
    apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends $available >/dev/null
  fi
  apt-get clean
  rm -rf /var/lib/apt/lists/*
}

# An empty package of that name, held, so that apt resolves its dependants without it while the
# dpkg database stays consistent (apt-get install keeps working in the image).
apt_stub() {
  installed "$1" && return 0
  stub=$(mktemp -d)
  mkdir "$stub/DEBIAN"
  printf '%s\n' "Package: $1" 'Version: 99:0+sagerun.stub' 'Architecture: all' \
    'Maintainer: sagerun <nobody@invalid>' 'Description: stub: not needed at run time in this image' \
    >"$stub/DEBIAN/control"
  dpkg-deb -b "$stub" "$stub.deb" >/dev/null
  dpkg -i "$stub.deb" >/dev/null
  apt-mark hold "$1" >/dev/null
  rm -rf "$stub" "$stub.deb"
  log "apt: $1 is a stub (APT_STUB_PACKAGES)"
}

dnf_install() {
  if has dnf; then tool=dnf; else tool=yum; fi
  log "$tool install $*"
  "$tool" install -y -q "$@"
  "$tool" clean all >/dev/null 2>&1 || true
  rm -rf /var/cache/dnf /var/cache/yum
}

# python3 with pip, from the base's package manager when missing.
ensure_pip() {
  has_pip && return 0
  if has apt-get; then
    apt_install python3 python3-pip
  elif has dnf || has yum; then
    dnf_install python3 python3-pip
  else
    die "this base has no python3 with pip and no apt-get, dnf or yum to install them (ML_INSTALL=none if it brings its own)"
  fi
  has_pip || die "python3 -m pip does not work after installing python3-pip"
}

pip_install() {
  ensure_pip
  [ -n "$pip_packages" ] || { log "pip: PIP_PACKAGES is empty: nothing to install"; return 0; }
  log "pip install $pip_packages"
  # A system Python (Debian 12, Ubuntu 23.04+) refuses pip without this (PEP 668); an image is one
  # application's environment, so pip may own it.
  # shellcheck disable=SC2086  # a list
  PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --no-cache-dir --disable-pip-version-check $pip_packages
  # mpirun for MPI jobs (sagemaker_mpi_enabled); mpi4py builds against it where the base can compile.
  if has apt-get; then apt_install openmpi-bin; fi
}

if [ "$mode" = auto ]; then
  if has_pip; then
    mode=pip
  elif has apt-get; then
    mode=apt
  elif has dnf || has yum; then
    mode=pip
  else
    die "cannot tell how to install Python packages in this base: set ML_INSTALL (apt, pip or none)"
  fi
  log "ML_INSTALL=auto chose $mode"
fi

case $mode in
apt)
  has apt-get || die "ML_INSTALL=apt needs a base with apt-get (Debian, Ubuntu)"
  for package in $apt_stub_packages; do apt_stub "$package"; done
  # shellcheck disable=SC2086  # a list
  apt_install python3 python3-pip $apt_packages
  ;;
pip) pip_install ;;
none) log "ML_INSTALL=none: the base's own Python is used as it is" ;;
*) die "ML_INSTALL must be auto, apt, pip or none, not '$mode'" ;;
esac

has python3 || die "the image has no python3 (ML_INSTALL=$mode)"
# Scripts and drivers (the SageMaker SDK's sm_train.sh among them) call `python` and `pip`, as the
# SageMaker framework images have them: where the base names only python3, a link and a wrapper
# make both (nothing is replaced).
if ! has python; then
  ln -s "$(command -v python3)" /usr/local/bin/python
  log "python: a link to $(command -v python3)"
fi
if ! has pip && has_pip; then
  printf '%s\n' '#!/bin/sh' 'exec python3 -m pip "$@"' >/usr/local/bin/pip
  chmod 755 /usr/local/bin/pip
  log "pip: /usr/local/bin/pip runs python3 -m pip"
fi
has_pip || log "warning: this image has no pip (ML_INSTALL=$mode): requirements.txt cannot be installed"
rm -rf /root/.cache /tmp/* 2>/dev/null || true
# What the scripts will find; a missing module is no error (the lists are the builder's choice).
python3 - <<'EOF'
import importlib, sys
found = []
for name in ("numpy", "pandas", "sklearn", "scipy", "torch", "tensorflow", "keras"):
    try:
        module = importlib.import_module(name)
        found.append("%s %s" % (name, getattr(module, "__version__", "?")))
    except Exception:
        pass
print("sagerun-install-ml-stack: python %s; %s" % (sys.version.split()[0], ", ".join(found) or "no ML packages"),
      file=sys.stderr)
EOF
