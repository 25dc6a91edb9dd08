#!/usr/bin/env bash
# Ensures the test bed's binaries (etcd, kube-apiserver, kube-controller-manager, helm) exist in
# ${HOOKBRIDGE_CACHE:-$HOME/.cache/hookbridge}/bin and prints that directory on stdout.
# With --node it also builds what a real node needs: kubelet, kube-scheduler, kube-proxy and CoreDNS.
# Builds them from the Go module proxy on first use; later runs only check the version stamps.
# If KUBEBUILDER_ASSETS holds etcd and kube-apiserver, the Kubernetes pieces are linked from there.
set -euo pipefail

K8S_VERSION=v1.33.13        # k8s.io/kubernetes; staging modules at v0.33.13
ETCD_VERSION=v3.5.35        # go.etcd.io/etcd/server/v3
HELM_VERSION=v3.22.0        # helm.sh/helm/v3
COREDNS_VERSION=v1.12.1     # github.com/coredns/coredns

node=0
[[ "${1:-}" == --node ]] && node=1

CACHE="${HOOKBRIDGE_CACHE:-$HOME/.cache/hookbridge}"
BIN="$CACHE/bin"
WORK="$CACHE/build"
mkdir -p "$BIN" "$WORK"

log() { echo "k8s-bin: $*" >&2; }

# One builder at a time; concurrent callers wait here and then find the binaries done.
exec 9>"$CACHE/.lock"
flock 9

export GOFLAGS=-mod=mod
export CGO_ENABLED=0
require_go() { command -v go >/dev/null || { log "go is needed to build the test binaries"; exit 1; }; }

# stamp_ok NAME VALUE: true when bin/NAME exists and was built for VALUE.
stamp_ok() { [[ -x "$BIN/$1" && -f "$BIN/.$1.stamp" && "$(cat "$BIN/.$1.stamp")" == "$2" ]]; }
stamp_write() { printf '%s' "$2" >"$BIN/.$1.stamp"; }

build_k8s() {
  require_go
  local dir="$WORK/k8s-$K8S_VERSION" staging="v0.${K8S_VERSION#v1.}"
  local major="${K8S_VERSION#v}"; major="${major%%.*}"
  local minor="${K8S_VERSION#v*.}"; minor="${minor%%.*}"
  mkdir -p "$dir"
  {
    echo "module hookbridge.test/k8sbin"
    echo
    echo "go 1.24.0"
    echo
    echo "godebug default=go1.24"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    # every staging module that k8s.io/kubernetes replaces with ./staging/src/... in its own go.mod
    go mod download -json "k8s.io/kubernetes@$K8S_VERSION" >/dev/null
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' \
      "$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$K8S_VERSION.mod" |
      while read -r m; do echo "	$m => $m $staging"; done
    echo ")"
  } >"$dir/go.mod"
  printf 'package k8sbin\n' >"$dir/doc.go"
  local pkg=k8s.io/component-base/version cgo=k8s.io/client-go/pkg/version flags=""
  for p in $pkg $cgo; do
    flags+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor"
    flags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  for cmd in "$@"; do
    log "building $cmd $K8S_VERSION (takes a while the first time)"
    (cd "$dir" && go build -trimpath -ldflags "-s -w$flags" -o "$BIN/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd")
    mv "$BIN/$cmd.tmp" "$BIN/$cmd"
    stamp_write "$cmd" "$K8S_VERSION"
  done
}

build_etcd() {
  require_go
  local dir="$WORK/etcd-$ETCD_VERSION"
  mkdir -p "$dir"
  printf 'module hookbridge.test/etcdbin\n\ngo 1.24.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' \
    "$ETCD_VERSION" >"$dir/go.mod"
  printf 'package etcdbin\n' >"$dir/doc.go"
  log "building etcd $ETCD_VERSION"
  (cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$BIN/etcd.tmp" "$BIN/etcd"
  stamp_write etcd "$ETCD_VERSION"
}

build_helm() {
  require_go
  log "building helm $HELM_VERSION"
  local gobin="$WORK/helm-$HELM_VERSION"
  local v=helm.sh/helm/v3/internal/version
  GOBIN="$gobin" go install -trimpath \
    -ldflags "-s -w -X $v.version=$HELM_VERSION -X $v.gitTreeState=clean" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  mv "$gobin/helm" "$BIN/helm"
  stamp_write helm "$HELM_VERSION"
}

build_coredns() {
  require_go
  log "building coredns $COREDNS_VERSION (a few minutes the first time)"
  local gobin="$WORK/coredns-$COREDNS_VERSION"
  GOBIN="$gobin" go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"
  mv "$gobin/coredns" "$BIN/coredns"
  stamp_write coredns "$COREDNS_VERSION"
}

# A binary counts as present when its stamp names the pinned version (or the assets dir it links to).
assets="${KUBEBUILDER_ASSETS:-}"
[[ -n "$assets" && -x "$assets/etcd" && -x "$assets/kube-apiserver" ]] || assets=""
k8s_todo=()
k8s_bins=(etcd kube-apiserver kube-controller-manager)
((node)) && k8s_bins+=(kubelet kube-scheduler kube-proxy)
for b in "${k8s_bins[@]}"; do
  if [[ -n "$assets" && -x "$assets/$b" ]]; then
    ln -sfn "$assets/$b" "$BIN/$b"
    stamp_write "$b" "assets:$assets"
  elif [[ $b == etcd ]]; then
    stamp_ok etcd "$ETCD_VERSION" || build_etcd
  else
    stamp_ok "$b" "$K8S_VERSION" || k8s_todo+=("$b")
  fi
done
((${#k8s_todo[@]} == 0)) || build_k8s "${k8s_todo[@]}"
stamp_ok helm "$HELM_VERSION" || build_helm
((node == 0)) || stamp_ok coredns "$COREDNS_VERSION" || build_coredns

printf 'k8s=%s etcd=%s helm=%s coredns=%s assets=%s\n' "$K8S_VERSION" "$ETCD_VERSION" "$HELM_VERSION" "$COREDNS_VERSION" "$assets" \
  >"$BIN/versions"
echo "$BIN"
