#!/usr/bin/env python3
"""PyTorch eager reference for benchmarks/many-users.mjs: top-10 lists for a batch of users at once.

The same SASRec as benchmarks/torch_reference.py, eval mode, torch.inference_mode(): B full histories
(B, L) -> hidden at the last position -> scores over all V items -> seen items -inf -> top-10, in one
batched pass (how a Python service batches concurrent requests). Prints one JSON line: users/s over
--rounds rounds after 2 warm-up rounds, and the seconds per round.
"""
import argparse, json, os, sys, time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import SASRec  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=3706)
    ap.add_argument("--users", type=int, default=256)
    ap.add_argument("--max-len", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bf16", action="store_true", help="the forward under torch.autocast('cpu', bfloat16)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    d, L = 64, a.max_len
    model = SASRec(a.items, d, 2, 2, L, 4 * d, 0.2).eval()
    seqs = torch.tensor([[1 + (i * 7919 + u * 104729) % a.items for i in range(L)] for u in range(a.users)])  # (B, L)
    times = []
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16)
    with torch.inference_mode():
        for r in range(a.rounds + 2):
            t = time.perf_counter()
            with autocast:
                x = model.item_emb(seqs) * d**0.5 + model.pos_emb(torch.arange(L))  # (B, L, d)
                for blk in model.blocks:
                    x = blk(x)
                h = model.ln_f(x[:, -1]).float()  # (B, d)
            scores = h @ model.item_emb.weight[1:].t()  # (B, V)
            scores.scatter_(1, seqs - 1, float("-inf"))
            scores.topk(10, dim=1).indices.tolist()
            if r >= 2:
                times.append(time.perf_counter() - t)
    sec = sorted(times)[len(times) // 2]
    print(json.dumps({"impl": "pytorch-eager-batched" + ("-bf16-autocast" if a.bf16 else ""), "torch": torch.__version__, "users_per_s": a.users / sec, "round_s": sec, "rounds": a.rounds}))


if __name__ == "__main__":
    main()
