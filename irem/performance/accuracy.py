"""Does faster training reach the same error? bf16 and compiled runs against eager fp32 ones.

The Performance chapter's sections "bf16: the same error?" and "At the paper profile: the same
error?": a short check stored in ``data/bench/precision_check.json`` (:func:`precision_check`: runs of
a tenth of the paper's training, with the command that made them), and run records, where a
variant's mean test MSE over its seeds is compared per split with the baseline's, against the
spread between seeds (``irem.book.stats.split_changes``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from irem import experiments
from irem.book.notes import seed_list
from irem.book.stats import mean_and_std, split_changes
from irem.book.tables import merge_std, styled
from irem.store import Record
from irem.tasks import task_label


@dataclass(frozen=True)
class PrecisionCheck:
    """bf16 against fp32 in the stored ``precision_check`` (a tenth of the paper's training): what the prose quotes.

    Attributes:
        bf16_same_diff: bf16's mean test MSE minus fp32's, on the training distribution.
        fp32_same_sd: the standard deviation over seeds of fp32's test MSE there.
        bf16_harder_diff: the same difference on the harder distribution.
        fp32_harder_sd: the standard deviation over seeds of fp32's test MSE there.
    """

    bf16_same_diff: float
    fp32_same_sd: float
    bf16_harder_diff: float
    fp32_harder_sd: float


def precision_check_table(doc: dict) -> pd.DataFrame:
    """The stored ``precision_check``: mean and standard deviation over seeds per precision, of MSE and speed."""
    check = pd.DataFrame(doc["rows"])
    return check.groupby("precision")[["mse_same", "mse_harder", "train_iters_per_s"]].agg(["mean", "std"])


def styled_precision_check(doc: dict) -> Styler:
    """:func:`precision_check_table` for the book."""
    return precision_check_table(doc).style.format("{:.4f}").format("{:.1f}", subset=["train_iters_per_s"])


def precision_check(doc: dict) -> PrecisionCheck:
    """:class:`PrecisionCheck` of the stored ``precision_check``."""
    check = pd.DataFrame(doc["rows"])
    means = check.groupby("precision")[["mse_same", "mse_harder"]].mean()
    spread = check.groupby("precision")[["mse_same", "mse_harder"]].std()
    return PrecisionCheck(
        bf16_same_diff=float(means.loc["bf16", "mse_same"] - means.loc["fp32", "mse_same"]),
        fp32_same_sd=float(spread.loc["fp32", "mse_same"]),
        bf16_harder_diff=float(means.loc["bf16", "mse_harder"] - means.loc["fp32", "mse_harder"]),
        fp32_harder_sd=float(spread.loc["fp32", "mse_harder"]),
    )


# (experiment, task) of the eager runs a compiled one is set beside: the continuous and graph chapters' IREM
COMPILED_CHECKS = (("continuous", "addition"), ("graph", "shortest_path"))


def _variant_row(records: Sequence[Record]) -> dict:
    """Seeds, test MSE on both splits (mean and std over seeds) and mean training minutes of one training variant."""
    return {"seeds": len(records),
            **mean_and_std("same", [r.metrics["same"]["mse"] for r in records]),
            **mean_and_std("harder", [r.metrics["harder"]["mse"] for r in records]),
            "training minutes": float(np.mean([r.provenance["train_wall_s"] / 60 for r in records]))}  # fmt: skip


def precision_table(records: Sequence[Record]) -> pd.DataFrame:
    """Test MSE (mean and std over seeds) and training time of one configuration in each ``precision``."""
    rows = []
    for precision in ("fp32", "bf16"):
        g = [r for r in records if r.train["precision"] == precision]
        if g:
            rows.append({"precision": precision, **_variant_row(g)})
    return pd.DataFrame(rows)


def precision_verdict(table: pd.DataFrame) -> str:
    """Whether bf16's mean error differs from fp32's by more than their seed spreads summed, per split."""
    by = table.set_index("precision")
    if not {"fp32", "bf16"} <= set(by.index):
        return "Only one precision is stored; there is nothing to compare yet."
    parts, beyond = [], []
    bf16, fp32 = by.loc["bf16"], by.loc["fp32"]
    for split, diff, spread, out in split_changes(bf16, fp32):
        beyond += [split] if out else []
        parts.append(f"{split} {diff:+.2g} ({diff / fp32[split]:+.0%}; "
                     f"{'beyond' if out else 'within'} the seeds' spread of {spread:.2g})")  # fmt: skip
    seeds = f"{bf16['seeds']} and {fp32['seeds']} seeds"
    verdict = (f"bf16 changes the error beyond the spread between seeds ({', '.join(beyond)}): keep fp32 here."
               if beyond else "Both differences are within the spread between seeds: here bf16 trains to the "
               "error of fp32.")  # fmt: skip
    return f"bf16 against fp32 in mean test MSE ({seeds}): " + "; ".join(parts) + ". " + verdict


def compiled_table(eager: Sequence[Record], compiled: Sequence[Record]) -> pd.DataFrame:
    """Per task: the eager seeds' test MSE (mean, std) beside the compiled runs' (``TrainConfig.compiled``).

    One row per (task, training), with the seeds it has and their mean training speed.
    """
    rows = []
    for task in dict.fromkeys(r.task for r in [*eager, *compiled]):
        for training, recs in (("eager", eager), ("compiled", compiled)):
            g = [r for r in recs if r.task == task]
            if g:
                speed = float(np.mean([r.provenance["train_iters_per_s"] for r in g]))
                rows.append({"task": task_label(task), "training": training, "seed list": seed_list(g),
                             **_variant_row(g), "it/s": speed})  # fmt: skip
    return pd.DataFrame(rows)


def compiled_verdict(eager: Sequence[Record], compiled: Sequence[Record]) -> str:
    """Whether compiled training's mean test MSE differs from eager's by more than their seed spreads summed.

    Per task and split, as :func:`precision_verdict` compares bf16 with fp32 (with one compiled seed,
    the spread is the eager seeds' alone). It also gives how far apart the same seed ends, trained
    both ways: a measure of how much that training depends on float rounding alone.
    """
    if not eager or not compiled:
        return "No compiled run is stored beside eager ones yet: there is nothing to compare."
    table = compiled_table(eager, compiled)
    tasks = [t for t in dict.fromkeys(table["task"]) if set(table[table.task == t].training) == {"eager", "compiled"}]
    if not tasks:
        return "No compiled run is stored beside eager ones of its task yet: there is nothing to compare."
    parts, beyond, paired = [], [], []
    for task in tasks:
        by = table[table.task == task].set_index("training")
        e, c = by.loc["eager"], by.loc["compiled"]
        for split, diff, spread, out in split_changes(c, e):
            beyond += [f"{task.lower()} ({split})"] if out else []
            parts.append(f"{task.lower()} {split}: {c[split]:.4g} against {e[split]:.4g} ({diff / e[split]:+.0%}; "
                         f"{'beyond' if out else 'within'} the seeds' spread of {spread:.2g})")  # fmt: skip
        twins = [(r, t) for r in compiled for t in eager
                 if task_label(r.task) == task and (r.task, r.seed) == (t.task, t.seed)]  # fmt: skip
        gaps = [abs(r.metrics[s]["mse"] / t.metrics[s]["mse"] - 1) for r, t in twins for s in ("same", "harder")]
        if gaps:
            paired.append(f"{task.lower()} {min(gaps):.1%} to {max(gaps):.1%}")
    counts = sorted({int(n) for n in table[table.training == "compiled"].seeds})
    seeds = str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
    verdict = ("Every difference is within the spread between seeds: compiled training reaches the eager error."
               if not beyond else f"Beyond the spread between seeds: {', '.join(beyond)}.")  # fmt: skip
    text = f"Compiled against eager, mean test MSE ({seeds} compiled seeds): " + "; ".join(parts) + ". " + verdict
    if paired:
        text += (
            " The same seed trained both ways ends apart by " + "; ".join(paired) + " (over both splits): "
            "how much each training depends on float rounding alone."
        )
    return text


def stored_precisions(runs_dir: str | Path, seeds: int = 3) -> list[Record] | None:
    """IREM addition's paper-profile records in fp32 and bf16, or ``None`` unless both are stored at the paper profile.

    Each precision is read at its most complete stored profile; they are compared only where both are the paper's.
    """
    found = [experiments.stored("continuous", profile="best", tasks=["addition"], methods=["irem"], seeds=seeds,
                                runs_dir=runs_dir, overrides={"precision": p}, progress=False)
             for p in ("fp32", "bf16")]  # fmt: skip
    if any(r is None or r.profile != "paper" for r in found):
        return None
    return [rec for r in found for rec in r.records]


def styled_precision_table(table: pd.DataFrame) -> Styler:
    """:func:`precision_table` for the book: test MSE as "mean ± std"."""
    return styled(merge_std(table, digits=5), {"training minutes": "{:.1f}"})


def stored_compiled(runs_dir: str | Path) -> tuple[list[Record], list[Record]]:
    """(eager, compiled) paper-profile IREM records of each of ``COMPILED_CHECKS`` (none where not at the paper's).

    Each record goes by how it was trained (``compiled`` in its config), not by the settings asked
    for: the graph chapter trains its seeds above 2 compiled by default, and every stored seed is read.
    """
    found: dict[str, Record] = {}
    for name, task in COMPILED_CHECKS:
        for overrides in ({}, {"compiled": True}):
            result = experiments.stored(name, profile="best", tasks=[task], methods=["irem"], runs_dir=runs_dir,
                                        overrides=overrides, progress=False)  # fmt: skip
            if result is not None and result.profile == "paper":
                found.update({f"{r.experiment}/{r.task}/{r.seed}/{r.config_hash}": r for r in result.records})
    records = sorted(found.values(), key=lambda r: (r.experiment, r.task, r.seed))
    return [r for r in records if not r.train.get("compiled")], [r for r in records if r.train.get("compiled")]


def styled_compiled_table(table: pd.DataFrame) -> Styler:
    """:func:`compiled_table` for the book: test MSE as "mean ± std"."""
    return styled(merge_std(table, digits=5), {"training minutes": "{:.1f}", "it/s": "{:.1f}"})
