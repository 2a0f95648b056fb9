"""The differentiable primitives: one `Function` subclass each, its forward and backward side
by side, on NumPy arrays, grouped by kind in the modules here. They are named after the math
(as PyTorch's graph nodes are: `AddBackward`, `TanhBackward`); the op table
(`tinygrad_np/ops/table.py`) makes them Tensor methods and functions, and `nn.functional`
calls the ones that have no method."""
