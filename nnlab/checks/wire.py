"""The wire format between a grading sandbox and the grader: arrays in an .npz (numbers only; loaded with
``allow_pickle=False``) plus one JSON skeleton in which {"@": k} stands for array k. ``decode`` trusts nothing:
only numeric arrays, bounded sizes, and ``Case``/``Outcome``/``Problem`` records with fields of the right kinds.
"""
from __future__ import annotations

import json

import numpy as np

from .harness import KINDS, Case, Outcome, Problem

MAX_ITEMS = 100_000  # JSON nodes and arrays a grader accepts from one submission


def encode(tree):
    """Plain data (None, bool, int, float, str, lists, dicts with str keys, numeric arrays) -> dict of arrays."""
    arrays = {}

    def walk(obj):
        if isinstance(obj, np.ndarray):
            arrays[f"a{len(arrays)}"] = obj
            return {"@": len(arrays) - 1}
        if isinstance(obj, Outcome):
            return {"outcome": walk(obj.__dict__)}
        if isinstance(obj, Case):
            return {"case": [obj.label, walk(list(obj.args))]}
        if isinstance(obj, Problem):
            return {"problem": [obj.case, obj.kind, obj.text]}
        if isinstance(obj, dict):
            return {str(k): walk(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [walk(v) for v in obj]
        if isinstance(obj, (np.integer, np.floating, np.bool_)):
            return obj.item()
        return obj

    skeleton = json.dumps(walk(tree))
    return {"skeleton": np.array(skeleton), **arrays}


def decode(files):
    """The inverse of ``encode`` for data from an untrusted process: only numeric arrays, bounded sizes,
    and Outcome fields of the right kinds; anything else raises ValueError."""
    skeleton = files["skeleton"]
    if skeleton.dtype.kind != "U" or skeleton.shape != ():
        raise ValueError("skeleton is not a string")
    count = [0]

    def walk(obj, depth=0):
        count[0] += 1
        if count[0] > MAX_ITEMS or depth > 12:
            raise ValueError("results too large or too deep")
        if isinstance(obj, dict):
            if set(obj) == {"@"}:
                arr = files[f"a{int(obj['@'])}"]
                if arr.dtype.kind not in "biufc":
                    raise ValueError(f"array of dtype {arr.dtype}")
                return arr
            if set(obj) == {"outcome"}:
                fields = walk(obj["outcome"], depth + 1)
                if not isinstance(fields, dict) or not set(fields) <= set(Outcome.__dataclass_fields__):
                    raise ValueError("malformed outcome")
                out = Outcome(**fields)
                if not (out.error is None or isinstance(out.error, str)) or not isinstance(out.record, dict) \
                        or not (out.kind is None or out.kind in KINDS) \
                        or not all(isinstance(w, str) for w in out.warnings) \
                        or not all(isinstance(i, int) for i in out.mutated):
                    raise ValueError("malformed outcome")
                return out
            if set(obj) == {"case"}:
                label, args = obj["case"]
                return Case(str(label), tuple(walk(args, depth + 1)))
            if set(obj) == {"problem"}:
                parts = obj["problem"]
                if not (isinstance(parts, list) and len(parts) == 3 and all(isinstance(p, str) for p in parts)):
                    raise ValueError("malformed problem")
                return Problem(*parts)
            return {str(k): walk(v, depth + 1) for k, v in obj.items()}
        if isinstance(obj, list):
            return [walk(v, depth + 1) for v in obj]
        return obj

    return walk(json.loads(str(skeleton)))
