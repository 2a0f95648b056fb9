"""The differential fuzz against PyTorch, in parts (tests/test_fuzz_torch.py runs it)."""
