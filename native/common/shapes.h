// Shape legend for every tensor comment in native/ (llm.c style): give it once, then on each tensor.
//   B  batch (sequences in a micro-batch)       L  max sequence length (positions)
//   d  model width (embedding dim)              H  attention heads, dh = d / H
//   F  feed-forward width (default 4·d)         V  catalogue size (items 1..V; 0 is padding)
//   N  non-padding target positions in a batch  C  rows in one chunk of the fused loss
//   U  users                                    E  interactions (CSR items array length)
//   K  top-K list length
#pragma once
