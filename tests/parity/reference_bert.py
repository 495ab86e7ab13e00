"""Reference BERT forward for tests/parity/bert-encoder.test.ts, written from the Hugging Face
BertModel definition (embeddings -> LayerNorm; per layer: self-attention with the additive
extended mask, dense + residual + LayerNorm, intermediate activation, dense + residual + LayerNorm)
with torch.nn.functional in float64. It reads model.safetensors itself (no safetensors package)
and shares no code with seqrec. stdin: {"folder", "ids": [[...]], "mask": [[...]], "pooling",
"normalize"}; stdout: {"pooled": [[...]]}."""
import json
import math
import struct
import sys

import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        body = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        t = torch.frombuffer(bytearray(body[start:end]), dtype=DTYPES[meta["dtype"]])
        out[name.removeprefix("bert.")] = t.reshape(meta["shape"]).double()
    return out


def activation(name):
    if name == "gelu":
        return F.gelu
    if name == "gelu_new":
        return lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))
    return F.relu


def bert(w, config, ids, mask):
    eps, h, heads = config["layer_norm_eps"], config["hidden_size"], config["num_attention_heads"]
    dh = h // heads
    B, T = ids.shape
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:T] \
        + w["embeddings.token_type_embeddings.weight"][0]
    x = F.layer_norm(x, (h,), w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    extended = (1.0 - mask[:, None, None, :].double()) * torch.finfo(torch.float64).min
    act = activation(config["hidden_act"])
    lin = lambda t, name: F.linear(t, w[name + ".weight"], w[name + ".bias"])
    for i in range(config["num_hidden_layers"]):
        at = f"encoder.layer.{i}"
        split = lambda t: t.view(B, T, heads, dh).permute(0, 2, 1, 3)
        q, k, v = (split(lin(x, f"{at}.attention.self.{n}")) for n in ("query", "key", "value"))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + extended, dim=-1)
        context = (probs @ v).permute(0, 2, 1, 3).reshape(B, T, h)
        x = F.layer_norm(lin(context, f"{at}.attention.output.dense") + x, (h,),
                         w[f"{at}.attention.output.LayerNorm.weight"], w[f"{at}.attention.output.LayerNorm.bias"], eps)
        inner = act(lin(x, f"{at}.intermediate.dense"))
        x = F.layer_norm(lin(inner, f"{at}.output.dense") + x, (h,),
                         w[f"{at}.output.LayerNorm.weight"], w[f"{at}.output.LayerNorm.bias"], eps)
    return x


def main():
    req = json.load(sys.stdin)
    with open(req["folder"] + "/config.json") as f:
        config = json.load(f)
    weights = read_safetensors(req["folder"] + "/model.safetensors")
    ids, mask = torch.tensor(req["ids"]), torch.tensor(req["mask"])
    hidden = bert(weights, config, ids, mask)
    if req["pooling"] == "cls":
        pooled = hidden[:, 0]
    else:
        m = mask[:, :, None].double()
        pooled = (hidden * m).sum(1) / m.sum(1)
    if req["normalize"]:
        pooled = pooled / pooled.norm(dim=1, keepdim=True)
    json.dump({"pooled": pooled.tolist()}, sys.stdout)


main()
