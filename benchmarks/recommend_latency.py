#!/usr/bin/env python3
"""PyTorch eager reference for benchmarks/recommend-latency.mjs: the latency of one recommendation.

The same SASRec as benchmarks/torch_reference.py, in eval mode under torch.inference_mode(): one
user's full history (L events) -> hidden at the last position -> scores over all V items -> seen
items set to -inf -> top-10. Prints one JSON line: p50/p99/mean latency in ms over --calls calls.
"""
import argparse, json, os, sys, time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import SASRec  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=3706)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=2)
    ap.add_argument("--max-len", type=int, default=200)
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = SASRec(a.items, a.dim, a.layers, a.heads, a.max_len, 4 * a.dim, 0.2).eval()
    history = torch.tensor([[1 + (i * 7919) % a.items for i in range(a.max_len)]])  # (1, L)
    times = []
    with torch.inference_mode():
        for call in range(a.calls + 20):
            t = time.perf_counter()
            pos = torch.arange(a.max_len)
            x = model.item_emb(history) * a.dim**0.5 + model.pos_emb(pos)  # (1, L, d)
            for blk in model.blocks:
                x = blk(x)
            h = model.ln_f(x[:, -1])  # (1, d)
            scores = h @ model.item_emb.weight[1:].t()  # (1, V)
            scores[0, history[0] - 1] = float("-inf")
            top = scores.topk(10, dim=1)
            top.indices.tolist()
            if call >= 20:  # warm-up excluded
                times.append((time.perf_counter() - t) * 1000)
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print(json.dumps({"impl": "pytorch-eager", "torch": torch.__version__, "p50_ms": pick(0.5), "p99_ms": pick(0.99), "mean_ms": sum(times) / len(times), "calls": a.calls}))


if __name__ == "__main__":
    main()
