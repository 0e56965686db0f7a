"""IREM: learning iterative reasoning through energy minimisation (Du et al., ICML 2022).

A companion library: energy models, the energy-minimisation reasoning loop, training with a
replay buffer and truncated backpropagation, the paper's tasks and baselines, evaluation,
run records and the figures of the book.
"""

__version__ = "0.1.0"
