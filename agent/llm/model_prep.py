"""Turn the shipped GGUF file into a Hugging Face model directory vLLM can serve.

Why: the CPU build of vLLM cannot load GGUF, but transformers can de-quantise it. We do
this once at setup (``scripts/setup_llm.sh``), into the data dir, and record the GGUF's
sha256 next to the weights so a rerun with the same file takes a second instead of ~40 s.

Run: ``python -m agent.llm.model_prep --gguf var/cache/llm/SmolLM2-135M-Instruct.Q4_1.gguf \
--out var/models/smollm2-135m-instruct``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

STAMP_NAME = "whyrec_model_prep.json"
REQUIRED_FILES = ("config.json", "tokenizer_config.json")


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, streamed (GGUF files can be large)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def is_prepared(out_dir: Path, gguf_sha256: str) -> bool:
    """True when ``out_dir`` holds a complete conversion of exactly this GGUF."""
    stamp = out_dir / STAMP_NAME
    if not stamp.is_file():
        return False
    try:
        meta = json.loads(stamp.read_text())
    except (OSError, json.JSONDecodeError):
        return False
    has_weights = any(out_dir.glob("*.safetensors"))
    return (
        meta.get("gguf_sha256") == gguf_sha256
        and has_weights
        and all((out_dir / f).is_file() for f in REQUIRED_FILES)
    )


def convert(gguf: Path, out_dir: Path, *, dtype: str = "bfloat16", force: bool = False) -> dict:
    """De-quantise ``gguf`` into ``out_dir`` (safetensors + tokenizer); returns the stamp dict.

    Writes into a sibling temp dir and renames at the end, so an interrupted run never
    leaves a half-written model that looks ready.
    """
    gguf = Path(gguf)
    out_dir = Path(out_dir)
    if not gguf.is_file():
        raise FileNotFoundError(f"GGUF file {gguf} does not exist; run scripts/setup_llm.sh to fetch it")
    digest = sha256_file(gguf)
    if not force and is_prepared(out_dir, digest):
        return json.loads((out_dir / STAMP_NAME).read_text())

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    src_dir, name = str(gguf.parent), gguf.name
    torch_dtype = getattr(torch, dtype)
    model = AutoModelForCausalLM.from_pretrained(src_dir, gguf_file=name, dtype=torch_dtype)
    tokenizer = AutoTokenizer.from_pretrained(src_dir, gguf_file=name)
    # The weights are now plain tensors; drop the GGUF "quantizer" so save_pretrained writes an
    # ordinary checkpoint (otherwise config.json claims a quantisation vLLM cannot load).
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config

    tmp = out_dir.with_name(out_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    n_params = sum(p.numel() for p in model.parameters())
    meta = {
        "gguf": str(gguf),
        "gguf_sha256": digest,
        "dtype": dtype,
        "n_params": int(n_params),
        "architecture": (model.config.architectures or ["?"])[0],
        "seconds": round(time.perf_counter() - started, 1),
    }
    (tmp / STAMP_NAME).write_text(json.dumps(meta, indent=2))
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.rename(out_dir)
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gguf", type=Path, required=True, help="input .gguf file")
    parser.add_argument("--out", type=Path, required=True, help="output model directory")
    parser.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float16", "float32"])
    parser.add_argument("--force", action="store_true", help="convert even if the cache matches")
    args = parser.parse_args(argv)
    try:
        digest = sha256_file(args.gguf) if args.gguf.is_file() else ""
        if digest and not args.force and is_prepared(args.out, digest):
            print(f"[model_prep] cached: {args.out} (sha256 {digest[:12]})", file=sys.stderr)
            return 0
        print(f"[model_prep] converting {args.gguf} -> {args.out}", file=sys.stderr)
        meta = convert(args.gguf, args.out, dtype=args.dtype, force=args.force)
    except FileNotFoundError as exc:
        print(f"[model_prep] {exc}", file=sys.stderr)
        return 2
    print(f"[model_prep] done in {meta['seconds']} s: {meta['n_params']:,} params", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
