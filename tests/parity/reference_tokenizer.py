"""Reference for tests/parity/tokenizer.test.ts: Hugging Face's own WordPiece.

Reads {"folder", "corpus", "texts"} as JSON on stdin. Trains a WordPiece vocabulary on the corpus with
the `tokenizers` library (BERT's normaliser and pre-tokeniser, lowercase), writes it to folder/vocab.txt,
loads it back with transformers.BertTokenizerFast.from_pretrained (the tokenizers-backed BERT tokenizer), and prints the ids of every text ([CLS] … [SEP],
truncated to 512) as one JSON list per line.
"""
import json
import sys

from tokenizers import BertWordPieceTokenizer
from transformers import BertTokenizerFast

request = json.load(sys.stdin)
folder = request["folder"]
trainer = BertWordPieceTokenizer(lowercase=True)
trainer.train_from_iterator(request["corpus"], vocab_size=3000, min_frequency=1, limit_alphabet=500,
                            special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
trainer.save_model(folder)
tokenizer = BertTokenizerFast.from_pretrained(folder, do_lower_case=True)  # reads folder/vocab.txt
for ids in tokenizer(request["texts"], add_special_tokens=True, truncation=True, max_length=512)["input_ids"]:
    print(json.dumps(ids))
