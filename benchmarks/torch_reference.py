#!/usr/bin/env python3
"""Python PyTorch eager reference for seqrec's C++ (LibTorch) SASRec trainer.

This mirrors seqrec's native model and training step exactly: same SASRec-style
pre-LN causal transformer, same init, same tied full-softmax cross-entropy, same
AdamW parameter groups and grad clipping, so that the steps/s measured here on a
given machine is the "what plain PyTorch would give you" baseline the C++
trainer is compared against. It deliberately uses the plain, unfused
formulation (full (B, L, V) logits, F.cross_entropy) -- no custom kernels.

Runs on Debian's system Python with torch 1.13 (/usr/bin/python3) and on
PyTorch 2.x (CPU or CUDA; optional bf16 autocast and torch.compile).

Example:  /usr/bin/python3 benchmarks/torch_reference.py --steps 30 --json out.json

Shape legend: B = batch, L = max_len, d = dim, V = items, H = heads,
dh = d / H (head dim), F = ffn width.
"""
import argparse, contextlib, inspect, json, math, resource, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F


def causal_attention(q, k, v, dropout_p):  # q, k, v: (B, H, L, dh) -> (B, H, L, dh)
    if hasattr(F, "scaled_dot_product_attention"):  # PyTorch >= 2.0
        return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)
    if hasattr(F, "_scaled_dot_product_attention"):  # torch 1.13 (private; returns (out, weights))
        return F._scaled_dot_product_attention(q, k, v, None, dropout_p, False, True)[0]
    L = q.shape[-2]  # explicit fallback: softmax(QK^T / sqrt(dh) + causal) V
    mask = torch.full((L, L), float("-inf"), device=q.device, dtype=q.dtype).triu(1)  # (L, L)
    att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]) + mask, dim=-1)  # (B, H, L, L)
    return F.dropout(att, dropout_p, True) @ v


class Block(nn.Module):
    def __init__(self, d, heads, ffn, dropout, attn_dropout):
        super().__init__()
        self.heads, self.dropout, self.attn_dropout = heads, dropout, attn_dropout
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.q, self.k, self.v, self.out = (nn.Linear(d, d) for _ in range(4))
        self.fc1, self.fc2 = nn.Linear(d, ffn), nn.Linear(ffn, d)

    def forward(self, x):  # x: (B, L, d)
        B, L, d = x.shape
        h = self.ln1(x)
        split = lambda t: t.view(B, L, self.heads, d // self.heads).transpose(1, 2)  # -> (B, H, L, dh)
        p = self.attn_dropout if self.training else 0.0
        a = causal_attention(split(self.q(h)), split(self.k(h)), split(self.v(h)), p)  # (B, H, L, dh)
        a = self.out(a.transpose(1, 2).reshape(B, L, d))  # (B, L, d)
        x = x + F.dropout(a, self.dropout, self.training)
        f = F.dropout(F.gelu(self.fc1(self.ln2(x))), self.dropout, self.training)  # (B, L, F), exact erf GELU
        return x + F.dropout(self.fc2(f), self.dropout, self.training)  # (B, L, d)


class SASRec(nn.Module):
    def __init__(self, items, d, layers, heads, max_len, ffn, dropout, attn_dropout=0.0):
        super().__init__()
        self.d, self.dropout = d, dropout
        self.item_emb = nn.Embedding(items + 1, d)  # (V+1, d); row 0 = padding
        self.pos_emb = nn.Embedding(max_len, d)  # (L, d)
        self.blocks = nn.ModuleList(Block(d, heads, ffn, dropout, attn_dropout) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, 0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)
            if isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        with torch.no_grad():
            self.item_emb.weight[0].zero_()

    def forward(self, seq):  # seq: (B, L) int64, left-padded with 0 -> logits (B, L, V)
        pos = torch.arange(seq.shape[1], device=seq.device)  # (L,)
        x = self.item_emb(seq) * math.sqrt(self.d) + self.pos_emb(pos)  # (B, L, d)
        x = F.dropout(x, self.dropout, self.training) * (seq != 0).unsqueeze(-1).to(x.dtype)
        for blk in self.blocks:
            x = blk(x)
        x = self.ln_f(x)  # (B, L, d)
        return x @ self.item_emb.weight[1:].t()  # tied output over items 1..V: (B, L, V)


def loss_fn(model, seq, tgt):  # seq, tgt: (B, L); tgt 0 = no target
    logits = model(seq)  # (B, L, V)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), (tgt - 1).reshape(-1), ignore_index=-1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=3706)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=2)
    ap.add_argument("--max-len", type=int, default=200)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--ffn", type=int, default=0, help="0 -> 4*dim")
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--attn-dropout", type=float, default=0.0)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave as is)")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--compile", action="store_true", help="torch.compile the forward+loss (PyTorch 2.x)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    ffn = a.ffn or 4 * a.dim
    if a.dim % a.heads:
        sys.exit(f"--dim {a.dim} is not divisible by --heads {a.heads}")
    if a.device == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda requested but torch.cuda.is_available() is False")
    if a.compile and not hasattr(torch, "compile"):
        sys.exit(f"--compile needs PyTorch >= 2.0 (torch.compile); this is torch {torch.__version__}")
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    dev = torch.device(a.device)

    torch.manual_seed(a.seed)
    model = SASRec(a.items, a.dim, a.layers, a.heads, a.max_len, ffn, a.dropout, a.attn_dropout).to(dev)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    opt_kw = dict(lr=1e-3, betas=(0.9, 0.98), eps=1e-8)
    if dev.type == "cuda" and "fused" in inspect.signature(torch.optim.AdamW).parameters:
        opt_kw["fused"] = True
    opt = torch.optim.AdamW(groups, **opt_kw)

    step_loss = torch.compile(loss_fn) if a.compile else loss_fn
    autocast = (lambda: torch.autocast(device_type=dev.type, dtype=torch.bfloat16)) if a.dtype == "bf16" \
        else contextlib.nullcontext
    gen = torch.Generator(device=dev)
    gen.manual_seed(a.seed)

    def train_step():
        batch = torch.randint(1, a.items + 1, (a.batch, a.max_len + 1), generator=gen, device=dev)  # (B, L+1)
        seq, tgt = batch[:, :-1], batch[:, 1:]  # (B, L) each; full length, no padding
        with autocast():
            loss = step_loss(model, seq, tgt)  # scalar
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return loss.detach()  # no .item() here: avoids a host sync every step

    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    losses = [train_step() for _ in range(a.warmup)]
    sync()
    t0 = time.perf_counter()
    losses += [train_step() for _ in range(a.steps)]
    sync()
    elapsed = time.perf_counter() - t0
    losses = [float(l) for l in losses]

    if dev.type == "cuda":
        device_name, peak = torch.cuda.get_device_name(dev), torch.cuda.max_memory_allocated(dev) / 1e9
    else:  # ru_maxrss is in KiB on Linux
        device_name, peak = "cpu", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
    impl = ("pytorch-compile" if a.compile else "pytorch-eager") + ("-bf16" if a.dtype == "bf16" else "")
    report = {
        "impl": impl, "torch": torch.__version__, "device": device_name, "threads": torch.get_num_threads(),
        "items": a.items, "dim": a.dim, "layers": a.layers, "heads": a.heads, "max_len": a.max_len,
        "batch": a.batch, "ffn": ffn, "dtype": a.dtype, "steps": a.steps,
        "steps_per_s": a.steps / elapsed, "seqs_per_s": a.steps * a.batch / elapsed,
        "peak_mem_gb": peak, "final_loss": losses[-1], "first_losses": losses[:5],
    }
    line = json.dumps(report)
    print(line)
    if a.json:
        with open(a.json, "w") as fh:
            fh.write(line + "\n")


if __name__ == "__main__":
    main()
