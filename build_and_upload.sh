#!/usr/bin/env bash
# The original one-line workflow, now on top of `sagerun image push`:
#
#   ./build_and_upload.sh NAME DOCKERFILE [sagerun image push options...]
#   ./build_and_upload.sh sagemaker-cpu Dockerfile.cpu
#
# builds DOCKERFILE (a path, or a name in docker/: Dockerfile.cpu, Dockerfile.gpu) from this
# repository, pushes it to the account's ECR registry as NAME:latest (the repository created when
# missing, docker logged in with ECR's token) and prints the image URI as its last line:
# 123456789012.dkr.ecr.<region>.amazonaws.com/NAME:latest. Options after the two arguments go to
# `sagerun image push` (--tag, --region, --registry, --base, --build-arg, …; docs/images.md).
# SAGERUN names the sagerun binary (default: build/src/sagerun here, else sagerun on PATH).
set -euo pipefail

die() { echo "build_and_upload: error: $*" >&2; exit 1; }

[[ $# -ge 2 ]] || die "usage: $0 NAME DOCKERFILE [sagerun image push options...]"
name=$1
dockerfile=$2
shift 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [[ ! -f $dockerfile && $dockerfile != */* && -f $here/docker/$dockerfile ]]; then
  dockerfile=$here/docker/$dockerfile
fi
[[ -f $dockerfile ]] || die "no such Dockerfile: $dockerfile (try Dockerfile.cpu or Dockerfile.gpu, in $here/docker)"

sagerun=${SAGERUN:-}
if [[ -z $sagerun ]]; then
  if [[ -x $here/build/src/sagerun ]]; then
    sagerun=$here/build/src/sagerun
  elif command -v sagerun >/dev/null 2>&1; then
    sagerun=sagerun
  else
    die "no sagerun: build it (scripts/setup.sh) or set SAGERUN to its path"
  fi
fi

exec "$sagerun" image push "$name" --dockerfile "$dockerfile" --source "$here" "$@"
