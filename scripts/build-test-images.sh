#!/usr/bin/env bash
# Builds the Docker images for the end-to-end suites, without any registry:
#   sagerun-test-base:bookworm  Debian 12 minbase + python3 (also as python), pip, numpy and
#                               scikit-learn, made with debootstrap (+ apt-get in the rootfs)
#                               and `docker import`.
#                               Cached twice: skipped when the daemon has it (with the same
#                               package list), and re-imported from
#                               the rootfs tarball $SAGERUN_CACHE/base-bookworm.tar when the daemon
#                               lost it (debootstrap runs only when both are missing or stale).
#   sagerun-test-distributed-base:bookworm
#                               the base with Debian's PyTorch, mpi4py and Open MPI (the
#                               distributed suites add their train to it); rebuilt with the base.
#   sagerun-test:latest         FROM the base, with TRAIN_BINARY as /usr/local/bin/train and
#                               WORKDIR /opt/ml. Always rebuilt, so it holds the given binary.
#
#   scripts/build-test-images.sh TRAIN_BINARY
#   scripts/build-test-images.sh --base-only   (the base alone: it needs no build of sagerun)
#
# Needs a running daemon (scripts/docker-setup.sh) and, for debootstrap, root (or sudo).
# Progress goes to stderr; stdout's last two lines are "IMAGE ID", base first.
set -euo pipefail

die() { echo "build-test-images: error: $*" >&2; exit 1; }
log() { echo "build-test-images: $*" >&2; }

[[ $# -eq 1 ]] || die "usage: $0 TRAIN_BINARY | --base-only"
base_only=no
if [[ $1 == --base-only ]]; then
  base_only=yes
else
  train=$(readlink -f "$1" 2>/dev/null) || die "no such file: $1"
  [[ -f "$train" && -x "$train" ]] || die "not an executable file: $1"
fi

base_image=sagerun-test-base:bookworm
test_image=sagerun-test:latest
suite=bookworm
mirror=${SAGERUN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
base_packages=python3,ca-certificates              # debootstrap --include
# then apt-get install, in the rootfs (`python` and pip as the SageMaker framework images have them)
apt_packages="python3-numpy python3-sklearn python3-pip python-is-python3"
path_env=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
cache=${SAGERUN_CACHE:-$HOME/.cache/sagerun}
tarball=$cache/base-bookworm.tar
# Whatever changes the rootfs changes the key; bump "v2" when build_rootfs changes.
key=$(printf '%s\n' v2 "$suite" minbase "$base_packages" "$apt_packages" | sha256sum | cut -c1-16)

distributed_base=sagerun-test-distributed-base:bookworm
distributed_packages="python3-torch python3-mpi4py openmpi-bin"
distributed_key=$(printf '%s\n' "$key" "$distributed_packages" | sha256sum | cut -c1-16)

sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)

docker version >/dev/null 2>&1 || die "the Docker daemon does not answer (run scripts/docker-setup.sh)"
mkdir -p "$cache"
# Suites run in parallel (ctest -j): one build at a time, the others wait and then reuse it.
exec 9>"$cache/build-test-images.lock"
flock 9

image_key() { docker image inspect -f '{{index .Config.Labels "sagerun.base.key"}}' "$1" 2>/dev/null || true; }

build_rootfs() {
  command -v debootstrap >/dev/null 2>&1 || {
    log "installing debootstrap"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq debootstrap >/dev/null
  }
  local root
  root=$(mktemp -d "$cache/base-bookworm.root.XXXXXX")
  # Removed on any exit of this function's caller (set -e included).
  trap '"${sudo_cmd[@]}" rm -rf "'"$root"'" "'"$tarball"'.tmp"' EXIT
  chmod 755 "$root"
  log "debootstrap $suite (minbase + $base_packages) into $root"
  if ! "${sudo_cmd[@]}" debootstrap --variant=minbase --include="$base_packages" "$suite" "$root" "$mirror" >&2; then
    cp "$root/debootstrap/debootstrap.log" "$cache/base-bookworm.debootstrap.log" 2>/dev/null || true
    die "debootstrap failed; its log (if it got that far): $cache/base-bookworm.debootstrap.log"
  fi
  # Bookworm's python3-scipy Depends on python3-pythran, a build-time compiler that pulls in
  # gcc, g++, boost and the Python headers (~450 MB) which scipy never uses at run time. A stub
  # package stands in for it, so that apt resolves the rest normally and the dpkg database stays
  # consistent (apt-get install still works in the image).
  log "debootstrap done in $((SECONDS - start)) s; apt-get install $apt_packages in the rootfs (with a python3-pythran stub)"
  "${sudo_cmd[@]}" cp /etc/resolv.conf "$root/etc/resolv.conf"
  "${sudo_cmd[@]}" mkdir -p "$root/tmp/stub/DEBIAN"
  printf '%s\n' 'Package: python3-pythran' 'Version: 99:0+sagerun.stub' 'Architecture: all' \
    'Maintainer: sagerun tests <nobody@invalid>' \
    'Description: stub: scipy does not need pythran at run time' |
    "${sudo_cmd[@]}" tee "$root/tmp/stub/DEBIAN/control" >/dev/null
  # force-unsafe-io: no fsync per unpacked file (a throw-away root; the tarball is what counts).
  local in_root='set -eu
    echo force-unsafe-io >/etc/dpkg/dpkg.cfg.d/sagerun-unsafe-io
    dpkg-deb -b /tmp/stub /tmp/python3-pythran-stub.deb >/dev/null
    dpkg -i /tmp/python3-pythran-stub.deb >/dev/null
    apt-mark hold python3-pythran >/dev/null
    apt-get update -qq
    apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends "$@" >/dev/null
    apt-get clean
    rm -f /etc/dpkg/dpkg.cfg.d/sagerun-unsafe-io'
  # shellcheck disable=SC2086  # apt_packages is a list
  "${sudo_cmd[@]}" chroot "$root" /usr/bin/env -i PATH="$path_env" DEBIAN_FRONTEND=noninteractive \
    LANG=C.UTF-8 /bin/sh -c "$in_root" sh $apt_packages >&2 || die "apt-get install in the rootfs failed"
  # Lean: no apt lists or caches, docs, man pages, translations, logs or bytecode.
  # shellcheck disable=SC2016  # expanded by the inner shell
  "${sudo_cmd[@]}" sh -c '
    cd "$1" &&
    rm -rf var/lib/apt/lists/* var/cache/apt/* var/cache/debconf/*-old var/lib/dpkg/*-old \
           usr/share/doc/* usr/share/man/* usr/share/info/* usr/share/lintian/* \
           usr/share/locale/* var/log/* tmp/* tmp/.[!.]* root/.cache debootstrap &&
    find usr/lib/python3* -name __pycache__ -prune -exec rm -rf {} + &&
    mkdir -p var/lib/apt/lists/partial var/cache/apt/archives/partial &&
    : > etc/hostname && rm -f etc/resolv.conf
  ' sh "$root"
  # Device nodes, /proc and /sys come from Docker at run time.
  "${sudo_cmd[@]}" tar -C "$root" --numeric-owner --exclude='./dev/*' --exclude='./proc/*' \
    --exclude='./sys/*' -cf "$tarball.tmp" .
  "${sudo_cmd[@]}" chown "$(id -u):$(id -g)" "$tarball.tmp"
  mv -f "$tarball.tmp" "$tarball"
  echo "$key" >"$tarball.key"
  "${sudo_cmd[@]}" rm -rf "$root"
  trap - EXIT
}

if [[ $(image_key "$base_image") == "$key" ]]; then
  log "$base_image is up to date"
else
  start=$SECONDS
  if [[ ! -f "$tarball" || "$(cat "$tarball.key" 2>/dev/null)" != "$key" ]]; then
    build_rootfs
    log "rootfs tarball built in $((SECONDS - start)) s ($(du -h "$tarball" | cut -f1))"
  fi
  import_start=$SECONDS
  docker import \
    --change "ENV PATH=$path_env" \
    --change "ENV LANG=C.UTF-8" \
    --change "ENV PYTHONDONTWRITEBYTECODE=1" \
    --change "LABEL sagerun.base.key=$key" \
    --change 'CMD ["/bin/bash"]' \
    --message "sagerun test base: debootstrap $suite minbase + $base_packages, $apt_packages" \
    "$tarball" "$base_image" >/dev/null
  log "imported $base_image in $((SECONDS - import_start)) s (total $((SECONDS - start)) s)"
  # A base with an older package list, if any, is now untagged: drop it.
  docker image prune -f --filter label=sagerun.base.key >/dev/null 2>&1 || true
fi

# The distributed suites' base: Debian's PyTorch, mpi4py and Open MPI over the base (~100 s of
# apt on a cold machine, so it is made with the base, while sagerun compiles).
if [[ $(image_key "$distributed_base") != "$distributed_key" ]]; then
  start=$SECONDS
  printf '%s\n' "FROM $base_image" \
    "RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $distributed_packages >/dev/null && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin" \
    "LABEL sagerun.base.key=$distributed_key" |
    docker build --network host -q -t "$distributed_base" - >/dev/null || die "building $distributed_base failed"
  log "built $distributed_base in $((SECONDS - start)) s ($distributed_packages)"
else
  log "$distributed_base is up to date"
fi

if [[ $base_only == yes ]]; then
  echo "$base_image $(docker image inspect -f '{{.Id}}' "$base_image")"
  exit 0
fi

# The test image: a context holding only the binary and the Dockerfile.
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$train" "$context/train"
chmod 755 "$context/train"
sha=$(sha256sum "$context/train" | cut -d' ' -f1)
cat >"$context/Dockerfile" <<EOF
FROM $base_image
COPY train /usr/local/bin/train
WORKDIR /opt/ml
LABEL sagerun.test-image=1 sagerun.train.sha256=$sha
EOF
build() {
  # The legacy builder works offline against dockerd 20.10; newer clients only warn it is
  # deprecated. Debian's own client (matching the daemon) is the fallback.
  DOCKER_BUILDKIT=0 "$1" build -q -t "$test_image" "$context" 2>"$context.err" >/dev/null
}
if ! build docker; then
  if [[ -x /usr/bin/docker && $(command -v docker) != /usr/bin/docker ]] && build /usr/bin/docker; then
    :
  else
    cat "$context.err" >&2
    rm -f "$context.err"
    die "docker build of $test_image failed"
  fi
fi
rm -f "$context.err"
# Earlier builds of the test image (an older binary) are now untagged: drop them.
docker image prune -f --filter label=sagerun.test-image=1 >/dev/null 2>&1 || true
log "built $test_image (train sha256 $sha)"

for image in "$base_image" "$test_image"; do
  echo "$image $(docker image inspect -f '{{.Id}}' "$image")"
done
