"""The Performance chapter: ``irem bench`` (bench) and what the book makes of its stored results.

analysis: the bench tables and their sentences; figures: how the cost grows with one setting;
benchmarks: the scripts of ``benchmarks/``; accuracy: whether bf16 and compiled training reach the
eager error; cost: the whole book's hours at the paper profile.
"""
