"""Reference for tests/parity/transformers-bert.test.ts: Hugging Face's own BertModel.

stdin: {"folder", "config", "vocab", "seed", "texts", "pooling", "normalize"}. Builds a seeded random
transformers.BertModel from the config, writes it with save_pretrained (model.safetensors, config.json)
and the vocabulary (vocab.txt) into folder, tokenizes the texts with the folder's BertTokenizerFast,
runs the model in float64 and pools the last hidden state ("cls": the first position; "mean": over the
attention mask), optionally L2-normalised. stdout: {"pooled": [[...]], "ids": [[...]]}.
"""
import json
import os
import sys

import torch
from transformers import BertConfig, BertModel, BertTokenizerFast

req = json.load(sys.stdin)
folder = req["folder"]
torch.manual_seed(req["seed"])
model = BertModel(BertConfig(**req["config"])).eval()
model.save_pretrained(folder)
with open(os.path.join(folder, "vocab.txt"), "w", encoding="utf8") as f:
    f.write("\n".join(req["vocab"]) + "\n")
tokenizer = BertTokenizerFast.from_pretrained(folder, do_lower_case=True)
batch = tokenizer(req["texts"], padding=True, truncation=True, max_length=16, return_tensors="pt")
with torch.no_grad():
    hidden = model.double()(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
if req["pooling"] == "cls":
    pooled = hidden[:, 0]
else:
    m = batch["attention_mask"][:, :, None].double()
    pooled = (hidden * m).sum(1) / m.sum(1)
if req["normalize"]:
    pooled = pooled / pooled.norm(dim=1, keepdim=True)
json.dump({"pooled": pooled.tolist(), "ids": batch["input_ids"].tolist()}, sys.stdout)
