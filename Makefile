# Hookbridge — `make help` lists the targets.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
export HOOKBRIDGE_CACHE ?= $(HOME)/.cache/hookbridge
NODE_TEST := node --test --test-concurrency=1 --test-timeout=600000

UNIT := 'release/**/*.test.ts' 'bench/**/*.test.ts' 'shared/**/*.test.ts' 'cli/**/*.test.ts' 'receiver/**/*.test.ts' 'connector/**/*.test.ts' 'operator/**/*.test.ts'

.PHONY: help
help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*?## "}{printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: deps
deps: node_modules/.package-lock.json ## Install npm dependencies (Node 24 comes with them)

.PHONY: run
run: deps ## Run the relay on the embedded buffer with examples/ (hookbridge dev) plus an echo destination on :9000
	node cli/main.ts echo --port 9000 & echo_pid=$$!; trap 'kill $$echo_pid 2>/dev/null' EXIT INT TERM; \
	node cli/main.ts dev -f examples/

.PHONY: test-deps
test-deps: deps ## Install and build what the tests need (RabbitMQ, Prometheus, containerd, buildah, Kubernetes, CoreDNS, helm, images)
	test/harness/setup.sh

.PHONY: test
test: test-deps typecheck lint ## Run every test: types, lint, unit, integration (RabbitMQ, kube-apiserver), e2e
	$(NODE_TEST) $(UNIT) 'test/**/*.test.ts'

.PHONY: test-unit
test-unit: deps ## Unit tests only (no external services)
	$(NODE_TEST) $(UNIT)

.PHONY: test-integration
test-integration: test-deps ## Integration tests against real RabbitMQ and kube-apiserver
	$(NODE_TEST) 'test/harness/*.test.ts' 'test/integration/**/*.test.ts'

.PHONY: test-cluster
test-cluster: test-deps ## Cluster tier only: a real node (kubelet, containerd, CNI, kube-proxy, CoreDNS), the image from our Dockerfile, helm install
	$(NODE_TEST) 'test/cluster/**/*.test.ts'

.PHONY: cluster
cluster: test-deps ## A real single-node cluster with Hookbridge helm-installed from this checkout; prints KUBECONFIG, stays up until Ctrl-C
	node test/harness/cluster/main.ts

.PHONY: cluster-clean
cluster-clean: ## Remove what a killed `make cluster` or cluster test left behind (bridge, firewall rules, mounts)
	node -e "import('./test/harness/cluster/cluster.ts').then((m) => m.cleanLeftoversSync())"

.PHONY: images
images: deps ## Build the images (pause, base images, and ours from the Dockerfile) with buildah, offline
	test/harness/cluster/images.sh

.PHONY: test-abuse
test-abuse: test-deps ## The abuse suite (test/abuse): every attack of docs/security.md, refused (fuzzing, limiter, slow readers, broker alarms, destinations, RBAC, a stalled apiserver)
	$(NODE_TEST) 'test/abuse/**/*.test.ts'

.PHONY: test-e2e
test-e2e: test-deps ## End-to-end tests (operator + receiver + connector on real RabbitMQ and apiserver)
	$(NODE_TEST) 'test/e2e/**/*.test.ts'

.PHONY: typecheck
typecheck: deps ## Type-check with tsc --noEmit
	tsc --noEmit -p .

.PHONY: lint
lint: deps ## Lint with eslint
	eslint --max-warnings=0 .

.PHONY: manifests
manifests: deps ## Regenerate CRDs (crds/ and chart copy) from the zod schemas
	node operator/api/generate-crds.ts

.PHONY: docs
docs: deps ## Regenerate docs/reference.md from the CRDs and values.schema.json
	node docs/gen-reference.ts

.PHONY: version-check
version-check: deps ## Check that package, lockfile, chart version/appVersion, image tag and CHANGELOG carry one version
	node release/version.ts check

.PHONY: release-version
release-version: deps ## Set the one version everywhere: make release-version VERSION=0.2.0 (see docs/release.md)
	@test -n "$(VERSION)" || { echo 'usage: make release-version VERSION=X.Y.Z'; exit 2; }
	node release/version.ts set $(VERSION)

.PHONY: package
package: deps ## npm pack: the installable package (JavaScript emitted into dist/ by tsc at prepack)
	npm pack

.PHONY: bench
bench: test-deps ## Benchmarks: data plane vs. BullMQ+Redis baseline and raw RabbitMQ ceiling; operator at 500 channels + 500 subscriptions
	node bench/run.ts
	node bench/operator-scale.ts 500 50

.PHONY: bench-data
bench-data: test-deps ## Data-plane benchmark only (bench/run.ts)
	node bench/run.ts

.PHONY: bench-profile
bench-profile: test-deps ## CPU profiles of the receiver and connector at saturation, summarised as text (self time by module and function)
	rm -rf $(HOOKBRIDGE_CACHE)/profiles && mkdir -p $(HOOKBRIDGE_CACHE)/profiles
	node bench/run.ts --bench-only hookbridge --bench-phases saturation --bench-rounds 1 --bench-out $(HOOKBRIDGE_CACHE)/profiles/run.json \
	  --bench-node-args "--cpu-prof --cpu-prof-dir=$(HOOKBRIDGE_CACHE)/profiles"
	node bench/profile.ts $(HOOKBRIDGE_CACHE)/profiles

.PHONY: bench-cluster
bench-cluster: test-deps ## Ingest and delivery rates on one RabbitMQ node vs. a three-node cluster (the cost of replication)
	node bench/rabbitmq-cluster.ts

.PHONY: bench-operator
bench-operator: test-deps ## Operator scale benchmark only: time for 500 channels + 500 subscriptions to be Ready, requests per reconcile
	node bench/operator-scale.ts 500 50

.PHONY: helm-lint
helm-lint: test-deps ## helm lint + helm template of charts/hookbridge
	"$$(test/harness/k8s-bin.sh)/helm" lint charts/hookbridge
