"""The scratchpad chapter in numbers and words: IREM with and without a scratchpad, per task, and its claim."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from irem.book.claims import Claim, grade
from irem.book.notes import basis
from irem.book.stats import mean_of
from irem.book.tables import spread_cell, styled
from irem.curves import ENERGY_BY_STEP
from irem.experiments.results import ExperimentResult
from irem.experiments.scratchpad.experiment import TRAJECTORY
from irem.spread import LOWER, TIED, SeedSpread, compare, over_finite
from irem.store import Record
from irem.tasks import task_label

SPLITS = ("same", "harder")


def scratchpad_table(records: Sequence[Record]) -> pd.DataFrame:
    """IREM with scratchpads of each size D, per task: MSE (same / harder), training speed, seeds and profile.

    ``same`` and ``harder`` hold the errors over seeds as a ``SeedSpread`` (every seed's, the median
    and its 95 % interval): on shortest path trainings of one size differ by more than sizes do.
    """
    rows = []
    for task in dict.fromkeys(r.task for r in records):
        recs = [r for r in records if r.task == task]
        base_speed = mean_of([r for r in recs if r.train["scratchpad"] == 0], lambda r: r.training_cost["iters_per_s"])
        for d in sorted({r.train["scratchpad"] for r in recs}):
            g = [r for r in recs if r.train["scratchpad"] == d]
            speed = mean_of(g, lambda r: r.training_cost["iters_per_s"])
            rows.append({
                "task": task_label(task), "scratchpad D": d,
                **{split: over_finite([r.metrics[split]["mse"] for r in g]) for split in SPLITS},
                "label variance (same)": g[0].metrics["same"]["label_variance"],
                "label variance (harder)": g[0].metrics["harder"]["label_variance"],
                "halting step (same)": mean_of(g, lambda r: r.metrics["same"].get("mean_halt_step", float("nan"))),
                "it/s": speed, "speed vs no scratchpad": speed / base_speed, "seeds": len(g),
                "profile": g[0].profile,  # the book shows each task at its own most complete profile
            })  # fmt: skip
    return pd.DataFrame(rows)


def styled_scratchpad_table(records: Sequence[Record]) -> Styler:
    """The scratchpad table for the book: each error as the median over seeds with its 95 % interval.

    To fit the page's column it leaves out it/s (the speed column gives it against no scratchpad)
    and the profile (the page's note names it), and gives both label variances in one column.
    """
    table = scratchpad_table(records)
    for split in SPLITS:
        table[split] = [spread_cell(s, digits=5) for s in table[split]]  # addition: ~1e-4
    variances = zip(table.pop("label variance (same)"), table.pop("label variance (harder)"))
    table.insert(4, "label variance (same / harder)", [f"{a:.4f} / {b:.4f}" for a, b in variances])
    formats = {"halting step (same)": "{:.1f}", "speed vs no scratchpad": "{:.0%}"}
    return styled(table.drop(columns=["it/s", "profile"]), formats)


def scratchpad_verdict(records: Sequence[Record]) -> str:
    """A Markdown list, per task: each scratchpad's error and speed relative to none, and against the seed spread.

    A change counts as beyond the seed spread where the two sizes' 95 % intervals of the median
    separate; with a single seed the spread is not known, and the text says so.
    """
    table = scratchpad_table(records)
    lines, single = [], False
    mixed = table["profile"].nunique() > 1  # then each task says which profile it rests on
    for task, g in table.groupby("task", sort=False):
        base = g[g["scratchpad D"] == 0]
        if base.empty:
            continue
        b, parts = base.iloc[0], []
        for _, row in g[g["scratchpad D"] > 0].iterrows():
            spread = ""
            if min(row["seeds"], b["seeds"]) > 1:
                beyond = sum(None not in (row[k], b[k]) and compare(row[k], b[k]) != TIED for k in SPLITS)
                spread = f" (beyond the seed spread on {beyond} of 2)"
            single |= min(row["seeds"], b["seeds"]) < 2
            parts.append(f"D = {row['scratchpad D']}: same {_times(row['same'], b['same'])}, harder "
                         f"{_times(row['harder'], b['harder'])} the error without{spread}, at "
                         f"{row['speed vs no scratchpad']:.0%} of its training speed")  # fmt: skip
        lines.append(f"- **{task}**" + (f" ({b['profile']} profile)" if mixed else "") + ": " + "; ".join(parts))
    note = ("\n\nWhere a size has a single seed, whether its change exceeds the spread between seeds is not known."
            if single else "")  # fmt: skip
    fastest = table["speed vs no scratchpad"].max()
    if fastest > 1.05:  # a scratchpad only adds work: a gain is the machine's load moving between measurements
        note += (f"\n\nA scratchpad only adds work, so a training speed above 100% of the run without one (up to "
                 f"{fastest:.0%} here) is not the scratchpad's doing: the runs' speeds were measured at different "
                 "times on a shared 2-core machine, and differences of this size are its load.")  # fmt: skip
    note += _halted_at_the_start(records)
    load = _speed_spread(records)
    if load > 1.05:  # the same configuration measured at different times: how much the load alone moves a speed
        note += (
            f"\n\nSeeds of one configuration, measured at different times, differ in training speed by up to "
            f"{load:.1f}×: a speed difference smaller than that may be the machine's load, not the scratchpad."
        )
    return "\n".join(lines) + note


def _times(a: SeedSpread | None, b: SeedSpread | None) -> str:
    """The median of ``a`` over that of ``b``, as "0.70×"; "diverged" where either diverged on every seed."""
    return "diverged" if a is None or b is None else f"{a.median / b.median:.2f}×"


def _halted_at_the_start(records: Sequence[Record]) -> str:
    """A paragraph naming the runs whose halting rule stopped at the random start (mean halting step below 1 on same).

    The rule keeps the lowest energy seen; where the energy rises along the descent while the
    error falls, that is the start, and the error at halting (the tables' number) is the start's.
    """
    runs = []
    for r in records:
        m = r.metrics["same"]
        if m.get("mean_halt_step", math.inf) >= 1:
            continue
        energy = r.curves.get(ENERGY_BY_STEP, {}).get("same")
        rose = (f"its mean energy went from {energy[0]:.3g} at the start to {energy[1]:.3g} after one step; "
                if energy and energy[1] > energy[0] else "")  # fmt: skip
        runs.append(f"{task_label(r.task)}, D = {r.train['scratchpad']}, seed {r.seed} ({rose}error "
                    f"{m['mse']:.3g} at halting, {m.get('mse_final', math.nan):.3g} after the last step)")  # fmt: skip
    if not runs:
        return ""
    these = "this run" if len(runs) == 1 else "these runs"
    return (f"\n\nIn {these} the halting rule stopped at the random start (mean halting step below 1): the "
            "energy rose along the descent while the error fell, so the lowest energy seen is the start's, and so is "
            f"the error at halting that the table counts: {'; '.join(runs)}.")  # fmt: skip


def _speed_spread(records: Sequence[Record]) -> float:
    """The largest max/min of the measured training speed across seeds of one (task, D); 1 without two seeds."""
    speeds: dict[tuple, list[float]] = defaultdict(list)
    for r in records:
        speeds[r.task, r.train["scratchpad"]].append(r.training_cost["iters_per_s"])
    return max((max(v) / min(v) for v in speeds.values() if len(v) > 1), default=1.0)


def helped_tasks(table: pd.DataFrame) -> list[tuple[str, bool]]:
    """Per task of :func:`scratchpad_table` with runs with and without: whether a scratchpad helps.

    It helps where some size's error is below 90 % of the error without one on the same problems,
    and some size's is on the harder ones, each median's 95 % interval below the other's (where both
    have several seeds; with one, the values alone).
    """

    def lowers(a: SeedSpread | None, b: SeedSpread | None) -> bool:
        if a is None or b is None:  # every seed diverged
            return False
        return a.median < 0.9 * b.median and (compare(a, b) == LOWER or min(a.seeds, b.seeds) < 2)

    helped = []
    for task, g in table.groupby("task", sort=False):
        base, sized = g[g["scratchpad D"] == 0], g[g["scratchpad D"] > 0]
        if len(base) and len(sized):
            helped.append((task, all(any(lowers(s, base[split].iloc[0]) for s in sized[split]) for split in SPLITS)))
    return helped


def claims(results: Mapping[str, ExperimentResult]) -> list[Claim]:
    """App. B's claim that a scratchpad improves reasoning, judged on the scratchpad records (none without them)."""
    pad = results.get("scratchpad")
    if pad is None:
        return []
    helped = helped_tasks(scratchpad_table(pad.records))
    hits = sum(h for _, h in helped)
    return [Claim(
        order=110,
        claim="App. B: a scratchpad improves reasoning",
        paper="stated without numbers",
        ours=f"lowers the error (by more than 10 %, intervals apart, both splits) on {hits} of {len(helped)} tasks"
        + "".join(f"; {task}" for task, h in helped if h),
        verdict=grade(hits, len(helped)),
        rests_on=basis(pad),
        rule="on each task, some scratchpad size lowers each error by more than 10 %, the 95 % intervals of the "
        "medians over seeds apart",
    )]  # fmt: skip


def z_growth_note(records: Sequence[Record]) -> str:
    """How far the scratchpad drifts over one test descent, with the energy (Markdown; "" without trajectories).

    From each task's seed-0 trajectory (``TRAJECTORY``: the answer's error, the energy and the first
    coordinates of ``z`` after every step), for each scratchpad size.
    """
    cases = []
    for r in sorted(records, key=lambda r: (r.task, r.train["scratchpad"])):
        t = r.curves.get(TRAJECTORY, {})
        if r.seed != 0 or "z" not in t:
            continue
        z = np.abs(np.asarray(t["z"], dtype=float)).max(axis=1)
        energy, error = t["energy"], t["y_mse"][-1]
        cases.append(f"{task_label(r.task).lower()}, D = {r.train['scratchpad']}: |z| {z[0]:.2g} → {z[-1]:.3g}, "
                     f"energy {energy[0]:.3g} → {energy[-1]:.3g}, answer MSE {error:.2g}")  # fmt: skip
    if not cases:
        return ""
    steps = len(next(r for r in records if "z" in r.curves.get(TRAJECTORY, {})).curves[TRAJECTORY]["z"]) - 1
    return (
        f"**The scratchpad drifts far from where training kept it.** Training saw z only within 5 steps of "
        f"U(-1, 1). Over one test descent of {steps} steps the largest stored coordinate of z grows by one to "
        f"three orders of magnitude while the energy keeps falling and the answer's error stays where it settled: "
        f"{'; '.join(cases)}. The descent lowers the energy by moving z, not the answer: the learned energy has "
        "no floor in z out there, and z does not act as a bounded memory of the problem."
    )
