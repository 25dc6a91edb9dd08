#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine (idempotent): RabbitMQ, Redis (bench
# baseline), Prometheus (promtool), containerd + runc + CNI plugins + buildah for the cluster tier, and
# builds etcd, kube-apiserver, kube-controller-manager, kubelet, kube-scheduler, kube-proxy, CoreDNS and
# helm from the Go module proxy into ${HOOKBRIDGE_CACHE:-~/.cache/hookbridge} (see k8s-bin.sh), then the
# images the cluster runs (cluster/images.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
need=()
command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/sbin/rabbitmq-server ] || need+=(rabbitmq-server)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
# The cluster tier's node: container runtime, CNI plugins, image builder, kube-proxy's tools; a static
# shell for the build base image; gcc for the pause image.
command -v containerd >/dev/null 2>&1 || need+=(containerd)
command -v runc >/dev/null 2>&1 || need+=(runc)
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
command -v buildah >/dev/null 2>&1 || need+=(buildah)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v conntrack >/dev/null 2>&1 || need+=(conntrack)
[ -x /usr/bin/busybox ] || need+=(busybox-static)
command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  echo "setup: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # The Debian packages start system services; the tests run their own instances on free ports.
  for s in rabbitmq-server redis-server prometheus containerd; do $sudo systemctl disable --now "$s" >/dev/null 2>&1 || $sudo service "$s" stop >/dev/null 2>&1 || true; done
fi
if [ -x "$here/k8s-bin.sh" ]; then "$here/k8s-bin.sh" --node >/dev/null; fi
if [ -x "$here/cluster/images.sh" ]; then "$here/cluster/images.sh" >/dev/null; fi
echo "setup: ok" >&2
