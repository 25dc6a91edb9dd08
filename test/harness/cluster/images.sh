#!/usr/bin/env bash
# Builds every image the cluster test bed runs, here and offline (no registry is reachable), with
# buildah, and keeps them as OCI archives in ${HOOKBRIDGE_CACHE:-~/.cache/hookbridge}/images:
#   pause         the sandbox image containerd starts for each pod (a static C program FROM scratch)
#   node-build    stand-in for the Dockerfile's BUILD_IMAGE (node:24-bookworm-slim): Node 24, npm, a shell
#   node-runtime  stand-in for its RUNTIME_IMAGE (distroless nodejs24): glibc, /nodejs/bin/node, user 65532
#   hookbridge    the shipped Dockerfile, built FROM the two bases above through its build arguments
# Base images are rebuilt only when their inputs change; the product image when any file it copies does.
# Prints NAME=REF=ARCHIVE lines on stdout (one per image); progress goes to stderr.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
CACHE="${HOOKBRIDGE_CACHE:-$HOME/.cache/hookbridge}"
OUT="$CACHE/images"
mkdir -p "$OUT"
export STORAGE_DRIVER="${STORAGE_DRIVER:-vfs}"   # overlay needs a kernel and mount setup this sandbox may lack
export BUILDAH_ISOLATION=chroot
log() { echo "images: $*" >&2; }

exec 8>"$CACHE/.images.lock"
flock 8

node_bin="$root/node_modules/node/bin/node"
[[ -x "$node_bin" ]] || { log "run 'make deps' first (Node 24 comes from the node devDependency)"; exit 1; }
node_version=$("$node_bin" --version)
PAUSE_REF=hookbridge.local/pause:3.10
BUILD_REF="hookbridge.local/node-build:${node_version#v}"
RUNTIME_REF="hookbridge.local/node-runtime:${node_version#v}"
version=$("$node_bin" -p 'require(process.argv[1]).version' "$root/package.json")
IMAGE_REF="${HOOKBRIDGE_IMAGE:-ghcr.io/hookbridge/hookbridge:$version}"

# save REF ARCHIVE: writes the image in buildah's store as an OCI archive named REF.
save() {
  rm -f "$2.tmp"
  buildah push --quiet "$1" "oci-archive:$2.tmp:$1" >/dev/null
  mv "$2.tmp" "$2"
}
have() { buildah inspect --type image "$1" >/dev/null 2>&1; }

# from_rootfs REF DIR [buildah config args...]: an image whose only layer is DIR.
from_rootfs() {
  local ref=$1 dir=$2; shift 2
  local c; c=$(buildah from --quiet scratch)
  buildah copy --quiet "$c" "$dir" / >/dev/null
  buildah config "$@" "$c"
  buildah commit --quiet --rm "$c" "$ref" >/dev/null
}

# copy_libs ROOTFS BINARY...: the binaries' shared libraries (and the loader) at their host paths.
copy_libs() {
  local rootfs=$1; shift
  local lib
  for lib in $(ldd "$@" | grep -o '/[^ ]*' | sort -u); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
}

stamp_ok() { [[ -f "$OUT/$1.tar" && -f "$OUT/.$1.stamp" && "$(cat "$OUT/.$1.stamp")" == "$2" ]]; }
stamp_write() { printf '%s' "$2" >"$OUT/.$1.stamp"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- pause -------------------------------------------------------------------------------------------
pause_key="pause-2"   # bump when the pause recipe changes
if ! stamp_ok pause "$pause_key"; then
  log "building $PAUSE_REF"
  mkdir -p "$tmp/pause"
  cat >"$tmp/pause.c" <<'C'
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
static void reap(int s) { (void)s; while (waitpid(-1, 0, WNOHANG) > 0) {} }
static void quit(int s) { (void)s; _exit(0); }
int main(void) {
  signal(SIGINT, quit); signal(SIGTERM, quit); signal(SIGCHLD, reap);
  for (;;) pause();
}
C
  gcc -static -Os -s -o "$tmp/pause/pause" "$tmp/pause.c"
  from_rootfs "$PAUSE_REF" "$tmp/pause" --entrypoint '["/pause"]' --user 65535:65535
  save "$PAUSE_REF" "$OUT/pause.tar"
  stamp_write pause "$pause_key"
fi

# --- node-runtime: what distroless nodejs24 gives the Dockerfile's last stage -------------------------
runtime_key="runtime-2:$node_version"   # bump when the recipe changes
if ! stamp_ok node-runtime "$runtime_key"; then
  log "building $RUNTIME_REF"
  r="$tmp/runtime"
  mkdir -p "$r/nodejs/bin" "$r/etc" "$r/tmp" "$r/home/nonroot"
  cp "$node_bin" "$r/nodejs/bin/node"
  strip --strip-all "$r/nodejs/bin/node"
  copy_libs "$r" "$node_bin"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$r/etc/group"
  mkdir -p "$r/etc/ssl/certs" && cp /etc/ssl/certs/ca-certificates.crt "$r/etc/ssl/certs/"
  chmod 1777 "$r/tmp"; chown 65532:65532 "$r/home/nonroot"
  from_rootfs "$RUNTIME_REF" "$r" --entrypoint '["/nodejs/bin/node"]' --user 65532:65532 --env PATH=/nodejs/bin
  save "$RUNTIME_REF" "$OUT/node-runtime.tar"
  stamp_write node-runtime "$runtime_key"
fi

# --- node-build: what node:24-bookworm-slim gives the Dockerfile's first stage ------------------------
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
npm_version=$(node "$npm_dir/bin/npm-cli.js" --version 2>/dev/null || "$node_bin" "$npm_dir/bin/npm-cli.js" --version)
build_key="build-3:$node_version:npm-$npm_version"   # bump when the recipe changes
if ! stamp_ok node-build "$build_key"; then
  log "building $BUILD_REF (npm $npm_version)"
  b="$tmp/build"
  mkdir -p "$b/usr/local/bin" "$b/usr/local/lib/node_modules" "$b/bin" "$b/usr/bin" "$b/etc/ssl/certs" "$b/tmp" "$b/root"
  cp "$node_bin" "$b/usr/local/bin/node"
  strip --strip-all "$b/usr/local/bin/node"
  cp -a "$npm_dir" "$b/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$b/usr/local/bin/npm"
  cp /usr/bin/busybox "$b/bin/busybox"
  for applet in $(/usr/bin/busybox --list); do
    [[ -e "$b/bin/$applet" ]] || ln -s busybox "$b/bin/$applet"
  done
  ln -s /bin/env "$b/usr/bin/env"
  copy_libs "$b" "$node_bin"
  cp /etc/ssl/certs/ca-certificates.crt "$b/etc/ssl/certs/"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$b/etc/passwd"
  printf 'root:x:0:\n' >"$b/etc/group"
  chmod 1777 "$b/tmp"
  # This machine reaches the npm registry through a TLS-inspecting proxy whose CA is in the host store.
  from_rootfs "$BUILD_REF" "$b" --env PATH=/usr/local/bin:/usr/bin:/bin --env HOME=/root \
    --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt --cmd '["node"]'
  save "$BUILD_REF" "$OUT/node-build.tar"
  stamp_write node-build "$build_key"
fi

# --- hookbridge: the shipped Dockerfile ----------------------------------------------------------------
# Everything the Dockerfile can COPY (minus .dockerignore'd tests) decides whether it is rebuilt.
src_key="hookbridge-1:$IMAGE_REF:$build_key:$runtime_key:$(cd "$root" && git ls-files -co --exclude-standard -- \
  Dockerfile .dockerignore package.json package-lock.json cli shared receiver connector operator examples |
  LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-32)"
if ! stamp_ok hookbridge "$src_key"; then
  for ref in "$BUILD_REF" "$RUNTIME_REF"; do have "$ref" || buildah pull --quiet "oci-archive:$OUT/$( [[ $ref == "$BUILD_REF" ]] && echo node-build || echo node-runtime).tar" >/dev/null; done
  log "building $IMAGE_REF from $root/Dockerfile"
  began=$(date +%s)
  buildah bud --quiet --layers=false --pull=never \
    --build-arg "BUILD_IMAGE=$BUILD_REF" --build-arg "RUNTIME_IMAGE=$RUNTIME_REF" --build-arg "VERSION=$version" \
    -t "$IMAGE_REF" -f "$root/Dockerfile" "$root" >/dev/null
  save "$IMAGE_REF" "$OUT/hookbridge.tar"
  stamp_write hookbridge "$src_key"
  log "built $IMAGE_REF in $(( $(date +%s) - began )) s: $(buildah images --format '{{.Size}}' "$IMAGE_REF" 2>/dev/null | head -1) unpacked, $(du -h "$OUT/hookbridge.tar" | cut -f1) as an OCI archive"
fi

buildah rmi --prune >/dev/null 2>&1 || true   # earlier builds of the same names

for n in pause node-build node-runtime hookbridge; do
  case $n in pause) ref=$PAUSE_REF ;; node-build) ref=$BUILD_REF ;; node-runtime) ref=$RUNTIME_REF ;; hookbridge) ref=$IMAGE_REF ;; esac
  echo "$n=$ref=$OUT/$n.tar"
done
