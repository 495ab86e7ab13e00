"""Reference for tests/parity/peft.test.ts: PEFT's own LoRA over transformers.BertModel.

stdin: {"mode", "folder", "adapter", "config", "vocab", "seed", "texts", "pooling", "dora"}.
  mode "make":  a seeded random BertModel saved with save_pretrained (and vocab.txt) into folder, and a
                LoRA adapter on query and value with random A and B (init_lora_weights=False), saved by
                PEFT into adapter; with "dora", a DoRA adapter whose magnitudes are then scaled by random
                factors in [0.5, 1.5] (PEFT starts them at the adapted rows' norms, where DoRA equals LoRA).
  mode "apply": the base read back from folder with the adapter folder loaded by PeftModel.from_pretrained.
Either way the adapted model runs in float64 on the tokenized texts; stdout {"pooled": [[...]]}.
"""
import json
import os
import sys

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import BertConfig, BertModel, BertTokenizerFast

req = json.load(sys.stdin)
folder, adapter = req["folder"], req["adapter"]
if req["mode"] == "make":
    torch.manual_seed(req["seed"])
    base = BertModel(BertConfig(**req["config"])).eval()
    base.save_pretrained(folder)
    with open(os.path.join(folder, "vocab.txt"), "w", encoding="utf8") as f:
        f.write("\n".join(req["vocab"]) + "\n")
    dora = bool(req.get("dora", False))
    lora = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["query", "value"], init_lora_weights=False, use_dora=dora)
    model = get_peft_model(base, lora)
    if dora:
        with torch.no_grad():
            for name, p in model.named_parameters():
                if "lora_magnitude_vector" in name:
                    p.mul_(0.5 + torch.rand(p.shape))
    model.save_pretrained(adapter)
else:
    model = PeftModel.from_pretrained(BertModel.from_pretrained(folder), adapter)
model = model.eval().double()
tokenizer = BertTokenizerFast.from_pretrained(folder, do_lower_case=True)
batch = tokenizer(req["texts"], padding=True, truncation=True, max_length=16, return_tensors="pt")
with torch.no_grad():
    hidden = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
if req["pooling"] == "cls":
    pooled = hidden[:, 0]
else:
    m = batch["attention_mask"][:, :, None].double()
    pooled = (hidden * m).sum(1) / m.sum(1)
json.dump({"pooled": pooled.tolist()}, sys.stdout)
