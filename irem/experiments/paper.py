"""The paper's numbers, as data: every table the book sets ours beside.

Copied from the paper (Du et al., ICML 2022); never computed. ``by_split`` turns a table into
the ``(task, method, split) -> value`` mapping an :class:`~irem.experiments.experiment.Experiment`
looks its numbers up in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# Table 1 (right): MSE on the same / harder difficulty.
TABLE1_CONTINUOUS: dict[tuple[str, str], tuple[float, float]] = {
    ("addition", "feedforward"): (0.0448, 0.7029),
    ("addition", "recurrent"): (0.3610, 2.6133),
    ("addition", "programmatic"): (0.0111, 0.3446),
    ("addition", "iterative_feedforward"): (0.0144, 0.1577),
    ("addition", "irem"): (0.0003, 0.0021),
    ("matrix_completion", "feedforward"): (0.0203, 0.2720),
    ("matrix_completion", "recurrent"): (0.0266, 0.3285),
    ("matrix_completion", "programmatic"): (0.0203, 0.2637),
    ("matrix_completion", "iterative_feedforward"): (0.0253, 0.2102),
    ("matrix_completion", "irem"): (0.0183, 0.2074),
    ("matrix_inverse", "feedforward"): (0.0112, 0.2150),
    ("matrix_inverse", "recurrent"): (0.0109, 0.2123),
    ("matrix_inverse", "programmatic"): (0.0124, 0.2209),
    ("matrix_inverse", "iterative_feedforward"): (0.0270, 0.5250),
    ("matrix_inverse", "irem"): (0.0108, 0.2083),
}

# Table 1 (left): MSE on graphs of 10 / 15 nodes (our splits "same" / "harder").
TABLE1_GRAPH: dict[tuple[str, str], tuple[float, float]] = {
    ("edge_copy", "feedforward"): (0.3016, 0.3124),
    ("edge_copy", "recurrent"): (0.3015, 0.3113),
    ("edge_copy", "programmatic"): (0.3053, 0.4409),
    ("edge_copy", "iterative_feedforward"): (0.6163, 0.6498),
    ("edge_copy", "irem"): (0.0019, 0.0019),
    ("connected_components", "feedforward"): (0.1796, 0.3460),
    ("connected_components", "recurrent"): (0.1794, 0.2766),
    ("connected_components", "programmatic"): (0.2338, 3.1381),
    ("connected_components", "iterative_feedforward"): (0.4908, 1.2064),
    ("connected_components", "irem"): (0.1424, 0.2171),
    ("shortest_path", "feedforward"): (0.1233, 1.4089),
    ("shortest_path", "recurrent"): (0.1259, 0.1083),
    ("shortest_path", "programmatic"): (0.1375, 0.1290),
    ("shortest_path", "iterative_feedforward"): (0.4588, 0.7688),
    ("shortest_path", "irem"): (0.0274, 0.0464),
}

# Table 2 (IREM, shortest path): (replay buffer, truncated backpropagation) -> test MSE, training
# speed and memory relative to the full method.
TABLE2: dict[tuple[bool, bool], tuple[float, float, float]] = {
    (False, False): (0.0491, 0.87, 2.95),
    (True, False): (0.0287, 0.83, 2.95),
    (True, True): (0.0274, 1.00, 1.00),
}

# Table 3 (IREM, addition): training step size lambda -> same / harder MSE.
TABLE3: dict[float, tuple[float, float]] = {
    10.0: (0.0003, 0.0021), 30.0: (0.0003, 0.0020), 100.0: (0.0003, 0.0021), 300.0: (0.0004, 0.0023),
    1000.0: (0.0004, 0.0025),
}  # fmt: skip

# Table 4: MSE after 2 / 5 / 10 nested additions.
TABLE4: dict[str, dict[int, float]] = {
    "feedforward": {2: 0.0445, 5: 0.2717, 10: 0.8898},
    "recurrent": {2: 2.1377, 5: 3.1861, 10: 4.8706},
    "programmatic": {2: 0.0203, 5: 0.1068, 10: 0.4587},
    "iterative_feedforward": {2: 0.0826, 5: 0.5930, 10: 3.6004},
    "irem": {2: 0.0014, 5: 0.0078, 10: 0.0422},
}

# Table 5 (BSD68, PSNR in dB): a different data set from ours, shown for reference only.
TABLE5: dict[str, dict[int, float]] = {
    "UNLNet": {45: 26.48, 55: 25.64},
    "DnCNN": {45: 26.56, 55: 25.71, 65: 22.19, 75: 17.90},
    "DnCNN-stop": {45: 26.48, 55: 25.79, 65: 23.56, 75: 18.62},
    "IREM": {45: 26.52, 55: 25.85, 65: 23.87, 75: 23.43},
}


def by_split(
    table: Mapping[tuple[str, str], Sequence[float]], splits: Sequence[str]
) -> dict[tuple[str, str, str], float]:
    """``{(task, method): (v_1, v_2, ...)}`` as ``{(task, method, split_i): v_i}``."""
    return {(t, m, s): v for (t, m), values in table.items() for s, v in zip(splits, values)}
