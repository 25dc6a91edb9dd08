#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine (idempotent): RabbitMQ, Redis (bench
# baseline), Prometheus (promtool), and builds etcd, kube-apiserver, kube-controller-manager and helm
# from the Go module proxy into ${HOOKBRIDGE_CACHE:-~/.cache/hookbridge} (see k8s-bin.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
need=()
command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/sbin/rabbitmq-server ] || need+=(rabbitmq-server)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  echo "setup: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # The Debian packages start system services; the tests run their own instances on free ports.
  for s in rabbitmq-server redis-server prometheus; do $sudo systemctl disable --now "$s" >/dev/null 2>&1 || $sudo service "$s" stop >/dev/null 2>&1 || true; done
fi
if [ -x "$here/k8s-bin.sh" ]; then "$here/k8s-bin.sh" >/dev/null; fi
echo "setup: ok" >&2
