"""Reference for tests/parity/prefix.test.ts: a seqrec SASRec with a prefix adapter, recomputed in PyTorch.

stdin: {"checkpoint", "adapter", "histories", "heads"}: a seqrec checkpoint (end-anchored SASRec, pre-LN
blocks, GELU), a prefix adapter folder saved by seqrec, histories of exactly maxLen events.
The adapter is read the way PEFT reads it: PeftConfig.from_pretrained (it must parse as a
PrefixTuningConfig), load_peft_weights, PEFT's PrefixEncoder, and PeftModel.get_prompt's reshaping of
its output into each layer's past keys and values. The model is written out here from the checkpoint's
tensors, in float64: x = item·√d + position; per block x += Attn(LN(x)) with the prefix's keys and values
before the sequence's (every query sees them, then keys up to its own), x += FFN(LN(x)); the final LN of
the last position scores every item against the item table. stdout {"scores": [[...]]}, items 1..V.
"""
import json
import math
import sys

import torch
from peft import PeftConfig, PrefixTuningConfig
from peft.tuners.prefix_tuning import PrefixEncoder
from peft.utils import load_peft_weights
from safetensors.torch import load_file

req = json.load(sys.stdin)
w = {k[len("model.") :]: v.double() for k, v in load_file(req["checkpoint"]).items() if k.startswith("model.")}  # the parameters
H = req["heads"]
d = w["itemEmbedding.weight"].shape[1]
layers = len({k.split(".")[1] for k in w if k.startswith("blocks.")})

config = PeftConfig.from_pretrained(req["adapter"])
assert isinstance(config, PrefixTuningConfig), type(config)
assert (config.num_layers, config.token_dim, config.num_attention_heads) == (layers, d, H), config
encoder = PrefixEncoder(config)
encoder.embedding.weight.data = load_peft_weights(req["adapter"], device="cpu")["prompt_embeddings"]
P = config.num_virtual_tokens
with torch.no_grad():
    past = encoder(torch.arange(P).unsqueeze(0)).double()  # (1, P, layers·2·d), as PeftModel.get_prompt
past = past.view(1, P, layers * 2, H, d // H).permute([2, 0, 3, 1, 4]).split(2)  # per layer (2, 1, H, P, dh)


def linear(x, name):
    return x @ w[name + ".weight"].t() + w[name + ".bias"]


def norm(x, name):
    return torch.nn.functional.layer_norm(x, (d,), w[name + ".weight"], w[name + ".bias"], 1e-5)


seq = torch.tensor(req["histories"])  # (B, L)
B, L = seq.shape
x = w["itemEmbedding.weight"][seq] * math.sqrt(d) + w["positionEmbedding.weight"][:L]  # (B, L, d)
allowed = torch.ones(L, P + L, dtype=torch.bool).triu(P + 1).logical_not()  # query i sees keys j <= i + P
for l in range(layers):
    b = f"blocks.{l}."
    a = norm(x, b + "attnNorm")
    heads = lambda t: t.view(B, L, H, d // H).transpose(1, 2)  # (B, H, L, dh)
    q, k, v = (heads(linear(a, b + "attention." + n)) for n in ("query", "key", "value"))
    k = torch.cat([past[l][0].expand(B, -1, -1, -1), k], 2)  # (B, H, P + L, dh)
    v = torch.cat([past[l][1].expand(B, -1, -1, -1), v], 2)
    s = (q @ k.transpose(-2, -1) / math.sqrt(d // H)).masked_fill(~allowed, float("-inf"))
    y = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, L, d)
    x = x + linear(y, b + "attention.out")
    x = x + linear(torch.nn.functional.gelu(linear(norm(x, b + "ffnNorm"), b + "ffnIn")), b + "ffnOut")
h = norm(x[:, -1], "finalNorm")  # (B, d)
json.dump({"scores": (h @ w["itemEmbedding.weight"][1:].t()).tolist()}, sys.stdout)
