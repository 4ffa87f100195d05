#!/usr/bin/env python3
"""The peer of scripts/bench.sh --throughput: what a user would write with pyarrow and numpy.

numpy_peer.py forward|backward|copy INPUT OUTPUT
Reads every Parquet file under INPUT (Hive partitions kept as directories), computes the row-wise
softmax of `logits` in float64 (forward: column probs) or the gradient from logits and `grad`
(backward: column grad_logits), keeps the other columns, and writes zstd Parquet with the same
layout under OUTPUT; `copy` writes the files unchanged (the floor: read, decompress, compress,
write). One process; numpy on one core. Rows of one file must have one width.
"""
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def rows(column):
    """A list<float> column as a float64 matrix (rows of one width)."""
    flat = column.combine_chunks()
    width = len(flat[0]) if len(flat) else 0
    return np.asarray(flat.flatten()).astype(np.float64).reshape(len(flat), width)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def as_lists(m):
    n, width = m.shape
    offsets = pa.array(np.arange(0, (n + 1) * width, width, dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, pa.array(m.astype(np.float32).ravel()))


def main(mode, src, dst):
    for root, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if not d.startswith(("_", ".")))
        for name in sorted(f for f in files if f.endswith(".parquet") and not f.startswith((".", "_"))):
            table = pq.read_table(os.path.join(root, name))
            if mode == "forward":
                out = table.drop(["logits"]).append_column("probs", as_lists(softmax(rows(table["logits"]))))
            elif mode == "backward":
                s = softmax(rows(table["logits"]))
                g = rows(table["grad"])
                dz = s * (g - (s * g).sum(axis=1, keepdims=True))
                out = table.drop(["logits", "grad"]).append_column("grad_logits", as_lists(dz))
            else:
                out = table
            target = os.path.join(dst, os.path.relpath(root, src))
            os.makedirs(target, exist_ok=True)
            pq.write_table(out, os.path.join(target, name), compression="zstd", use_dictionary=False)


if __name__ == "__main__":
    main(*sys.argv[1:4])
