"""Runnable examples: `python -m minitorch.examples.train_digits --model mlp|cnn`."""
