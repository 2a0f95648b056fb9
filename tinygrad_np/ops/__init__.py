"""The public ops: the op table (table.py) and what it is built from -- how a row is declared
(declare.py), PyTorch's dtype rules (promotion.py), argument normalisers (args.py), and the
bodies of ops that need more than a primitive (math.py, reductions.py, shape.py, inplace.py).
The differentiable primitives themselves live in `tinygrad_np/primitives/`."""
