"""Independent AdamW reference for tests/parity/torch-reference.test.ts: PyTorch's Python
torch.optim.AdamW and torch.nn.utils.clip_grad_norm_ (torch 1.13, run with /usr/bin/python3), in a
process of its own. Reads one JSON request on stdin, prints {"params": [...]} on stdout.

  {"mode": "scalar", "param": p0, "grads": [g1, g2, ...], "lr", "beta1", "beta2", "eps", "weightDecay"}
      one float64 scalar parameter stepped with the given gradients; params = value after each step.
  {"mode": "replay", "steps", "seed", "clipNorm", "foreach"}
      the run of adamWParity in native/check/parity.cpp (same seeded tensors, gradients, groups and
      warmup + cosine learning rate); params = final parameters flattened in the same order. The
      tensors match because torch.Generator().manual_seed(seed) is the C++ CPUGeneratorImpl(seed).
"""
import json
import math
import sys

import torch


def scalar(req):
    p = torch.tensor([req["param"]], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.AdamW([p], lr=req["lr"], betas=(req["beta1"], req["beta2"]), eps=req["eps"],
                            weight_decay=req["weightDecay"])
    out = []
    for g in req["grads"]:
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
        out.append(p.item())
    return out


def lr_at(step, total, peak=1e-2, warmup=10, min_ratio=0.1):  # LrSchedule{1e-2, 10, steps, Cosine, 0.1}
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    low = peak * min_ratio
    return low + (peak - low) * 0.5 * (1.0 + math.cos(math.pi * progress))


def replay(req):
    gen = torch.Generator().manual_seed(req["seed"])
    init = [torch.randn(shape, generator=gen) for shape in [(8, 4), (10, 3), (4,), (3,)]]
    targets = [torch.randn(t.shape, generator=gen) for t in init]
    params = [t.clone().requires_grad_(True) for t in init]
    opt = torch.optim.AdamW([{"params": params[:2], "weight_decay": 0.1}, {"params": params[2:], "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.98), eps=1e-8, foreach=req["foreach"])
    for step in range(req["steps"]):
        with torch.no_grad():
            for i, p in enumerate(params):
                p.grad = (p - targets[i]) + torch.sin(p) * math.cos(0.37 * (step + i))
        if req["clipNorm"] > 0:
            torch.nn.utils.clip_grad_norm_(params, req["clipNorm"])
        for group in opt.param_groups:
            group["lr"] = lr_at(step, req["steps"])
        opt.step()
    return torch.cat([p.detach().reshape(-1) for p in params]).tolist()


if __name__ == "__main__":
    request = json.load(sys.stdin)
    params = scalar(request) if request["mode"] == "scalar" else replay(request)
    json.dump({"params": params}, sys.stdout)
