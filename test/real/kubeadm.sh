#!/usr/bin/env bash
# The kubeadm tier (npm run test:kubeadm): builds kubeadm at the tested release from the Go
# module proxy (cached under $SPARKPLAT_CACHE/k8s/<release>), then checks the rendered kubeadm
# configuration against it. Needs root (kubeadm init --dry-run runs in a mount namespace).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
release="$(bash tools/versions.sh testedKubernetesRelease)"
SPARKPLAT_KUBEADM_DIR="$(bash tools/k8s/build.sh "$release" kubeadm)"
export SPARKPLAT_KUBEADM_DIR
exec npx mocha --no-config -r ts-node/register/transpile-only --extension ts --timeout 180000 test/real/kubeadm.real.test.ts
