"""Reference for tests/parity/safetensors.test.ts: the `safetensors` Python package on seqrec's files.

argv: <checkpoint written by seqrec> <path to write>. Loads every tensor and the metadata with
safetensors (the reader Hugging Face uses), prints a JSON summary (names, dtypes, shapes, float64 sums),
and writes the same tensors and metadata back with safetensors.torch.save_file, for seqrec to load.
"""
import json
import sys

from safetensors import safe_open
from safetensors.torch import save_file

source, target = sys.argv[1], sys.argv[2]
with safe_open(source, framework="pt") as f:
    metadata = f.metadata()
    tensors = {name: f.get_tensor(name) for name in f.keys()}
summary = {name: {"dtype": str(t.dtype), "shape": list(t.shape), "sum": float(t.double().sum())} for name, t in tensors.items()}
save_file(tensors, target, metadata=metadata)
print(json.dumps({"format": metadata.get("format"), "tensors": summary}))
