#!/usr/bin/env bash
# Builds (or reuses) a minimal Debian 11 (bullseye, glibc 2.31) root, for checking that the
# statically linked `train` runs on an older base. Prints the root's path as the last line.
set -euo pipefail

cache="${SAGERUN_CACHE:-$HOME/.cache/sagerun}"
root="$cache/debian11-root"
marker=".sagerun-debian11-complete"
mirror="http://deb.debian.org/debian"

die() { echo "debian11-root: error: $*" >&2; exit 1; }

if [[ -f "$root/$marker" ]]; then
  echo "$root"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || die "debootstrap needs root (run as root, or build $root once as root)"

if ! command -v debootstrap >/dev/null 2>&1; then
  echo "debian11-root: installing debootstrap" >&2
  if ! apt-get install -y debootstrap >&2; then
    apt-get update >&2 || die "apt-get update failed"
    apt-get install -y debootstrap >&2 || die "could not install debootstrap"
  fi
fi

mkdir -p "$cache"
# A root without the marker is a leftover from an interrupted run; never reuse it.
rm -rf "$root"
tmp=$(mktemp -d "$root.tmp.XXXXXX")
chmod 755 "$tmp"  # mktemp makes it 0700; a root folder must be traversable
trap 'rm -rf "$tmp"' EXIT

echo "debian11-root: building $root (debootstrap bullseye, a few minutes)" >&2
if ! debootstrap --variant=minbase --include=python3 bullseye "$tmp" "$mirror" >&2; then
  cp "$tmp/debootstrap/debootstrap.log" "$cache/debian11-root.log" 2>/dev/null || true
  die "debootstrap failed; its log (if it got that far): $cache/debian11-root.log"
fi
touch "$tmp/$marker"

# -T: never move into an existing folder; if another run finished first, keep its root.
if ! mv -T "$tmp" "$root" 2>/dev/null; then
  [[ -f "$root/$marker" ]] || die "could not move $tmp to $root"
fi
echo "$root"
