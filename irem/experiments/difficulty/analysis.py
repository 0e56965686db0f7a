"""The difficulty experiment's numbers: per level, IREM's error, where its descents end, and the verdict.

Everything here reads the difficulty experiment's records of one task (:class:`irem.store.Record`)
and returns numbers, tables or Markdown; :mod:`.section` puts them on the page of the chapter
that shows the task (continuous for addition, graph for the graph tasks).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from irem.book.stats import mean_curve
from irem.book.tables import styled
from irem.config import EvalConfig
from irem.experiments.difficulty.experiment import DIFFICULTY_CURVE
from irem.experiments.graph.experiment import MSE_BY_NODES
from irem.store import Record
from irem.tasks import task_label


def _difficulty(records: Sequence[Record], scale: str, get: Callable[[dict, str], object]) -> np.ndarray:
    """``get(entry, training step size)`` of each record's difficulty entry at operand ``scale``, one row per seed."""
    return np.array([get(r.curves[DIFFICULTY_CURVE]["scales"][scale], str(r.config["train"]["step_size"]))
                     for r in records if DIFFICULTY_CURVE in r.curves], dtype=float)  # fmt: skip


def label_variances(records: Sequence[Record]) -> dict[tuple[str, str], float]:
    """``{(task, level): label variance}`` of the difficulty experiment's test problems (mean over seeds).

    The error of always answering the mean, at each level (graph size, operand range): the reference
    another chapter's errors at those levels are read against.
    """
    out = {}
    for task in dict.fromkeys(r.task for r in records):
        recs = [r for r in records if r.task == task and DIFFICULTY_CURVE in r.curves]
        for level in recs[0].curves[DIFFICULTY_CURVE]["scales"] if recs else ():
            out[(task, level)] = float(_difficulty(recs, level, lambda e, lam: e["label_variance"]).mean())
    return out


def difficulty_levels(task: str) -> tuple[str, Callable[[str], str], float]:
    """How the difficulty experiment's levels read for ``task``: (axis name, a level's label, largest trained)."""
    if task == "addition":
        return "operands", lambda s: f"U(-{s}, {s})", 1.0
    return "nodes", lambda n: f"{n} nodes", 10.0


def difficulty_table(records: Sequence[Record], tol: str = str(EvalConfig.halt_tol)) -> pd.DataFrame:
    """Per difficulty level of one task (operand scale or graph size), means over seeds, training step size.

    IREM's error after 10, 80 and the last step, where a descent started at the true answer ends,
    how often the answer has the lower energy, and the halting step with its error (relative
    tolerance ``tol``).
    """
    recs = [r for r in records if DIFFICULTY_CURVE in r.curves]
    if not recs:
        return pd.DataFrame()
    steps = recs[0].curves[DIFFICULTY_CURVE]["steps"]
    columns = {f"{s} steps": steps.index(s) for s in dict.fromkeys((10, 80, steps[-1])) if s in steps}
    axis, label, _ = difficulty_levels(recs[0].task)
    rows = []
    for scale in recs[0].curves[DIFFICULTY_CURVE]["scales"]:
        at = lambda get, scale=scale: _difficulty(recs, scale, get).mean()  # noqa: E731
        row = {axis: label(scale), "label variance": at(lambda e, lam: e["label_variance"])}
        for name, i in columns.items():
            row[name] = at(lambda e, lam, i=i: e["step_size"][lam]["mse_by_step"][i])
        row["from the answer"] = at(lambda e, lam: e["mse_from_answer"][-1])
        row["answer lower (%)"] = 100 * at(lambda e, lam: e["answer_lower"])
        row["halting step"] = at(lambda e, lam: e["step_size"][lam]["halting"][tol]["mean_halt_step"])
        row["at halting"] = at(lambda e, lam: e["step_size"][lam]["halting"][tol]["mse"])
        rows.append(row)
    return pd.DataFrame(rows)


def difficulty_summary(records: Sequence[Record], scale: str = "2.5") -> dict:
    """Numbers for the prose on harder problems at operand ``scale`` (the harder split's), means over seeds.

    ``falls`` (the training step size) and ``small_falls`` (the smallest test-time step size) hold
    when the error after ``late`` (80) steps is below 90 % of that after ``early`` (10) in every seed; ``same_end`` when
    the descents from noise with every step size and the one from the answer end within 5 % of
    each other in every seed (they all reach the same minimum).
    """
    recs = [r for r in records if DIFFICULTY_CURVE in r.curves]
    first = recs[0].curves[DIFFICULTY_CURVE]
    steps, scales = first["steps"], sorted(first["scales"], key=float)
    early, late = min(10, steps[-1]), max(s for s in steps if s <= 80)  # 10 and 80 steps, where run that far
    i10, i80 = steps.index(early), steps.index(late)
    small = min(first["scales"][scale]["step_size"], key=float)  # the smallest test-time step size
    trained = _difficulty(recs, scale, lambda e, lam: e["step_size"][lam]["mse_by_step"])  # (seeds, steps)
    slow = _difficulty(recs, scale, lambda e, lam: e["step_size"][small]["mse_by_step"])
    from_answer = _difficulty(recs, scale, lambda e, lam: e["mse_from_answer"])
    lambdas = list(first["scales"][scale]["step_size"])
    ends = np.stack([_difficulty(recs, scale, lambda e, lam, k=k: e["step_size"][k]["mse_by_step"][-1])
                     for k in lambdas] + [from_answer[:, -1]])  # fmt: skip
    best = int(ends[:-1].mean(1).argmin())  # the test-time step size with the lowest error after the last step
    best_curve = _difficulty(recs, scale, lambda e, lam: e["step_size"][lambdas[best]]["mse_by_step"])

    def falls(curves: np.ndarray) -> bool:  # (seeds, steps): below 90 % of step 10's error by step 80, every seed
        return bool((curves[:, i80] < 0.9 * curves[:, i10]).all())

    tol = str(EvalConfig.halt_tol)  # the evaluation's own
    halting = [_difficulty(recs, s, lambda e, lam: e["step_size"][lam]["halting"][tol]["mean_halt_step"]).mean()
               for s in scales]  # fmt: skip
    return {
        "scale": scale, "seeds": len(recs), "steps": steps[-1], "early": early, "late": late, "small_lambda": small,
        "at_10": trained[:, i10].mean(), "at_80": trained[:, i80].mean(),
        "falls": falls(trained),
        "small_at_10": slow[:, i10].mean(), "small_at_80": slow[:, i80].mean(), "small_at_end": slow[:, -1].mean(),
        "small_falls": falls(slow),
        "trained_end": trained[:, -1].mean(), "best_lambda": lambdas[best], "best_end": ends[best].mean(),
        "best_at_10": best_curve[:, i10].mean(), "best_at_80": best_curve[:, i80].mean(),
        "best_falls": falls(best_curve),
        "trained_min": trained.mean(0).min(), "trained_min_step": steps[int(trained.mean(0).argmin())],
        "from_answer_step1": from_answer[:, 1].mean(), "from_answer_end": from_answer[:, -1].mean(),
        "same_end": bool((ends.max(0) <= 1.05 * ends.min(0)).all()),
        "answer_lower": 100 * _difficulty(recs, scale, lambda e, lam: e["answer_lower"]).mean(),
        "halt_min": min(halting), "halt_max": max(halting), "smallest": scales[0], "largest": scales[-1],
        "end_smallest": _difficulty(recs, scales[0], lambda e, lam: e["mse_from_answer"][-1]).mean(),
        "end_largest": _difficulty(recs, scales[-1], lambda e, lam: e["mse_from_answer"][-1]).mean(),
    }  # fmt: skip


def difficulty_prose(records: Sequence[Record], level: str) -> str:
    """The book's paragraph on one task's difficulty records at ``level``, with its verdict (Markdown).

    The verdict follows the numbers: more steps help when the error falls between 10 and 80
    steps with the training step size, or when a smaller test-time step size ends below the
    training one's error at step 10 (the training step overshoots); otherwise they cannot when
    the true answer has the higher energy in most problems (the energy's minimum is off the
    answer); else the descent itself is at fault.
    """
    d = difficulty_summary(records, level)
    task = records[0].task
    harder = "harder addition" if task == "addition" else f"larger graphs ({task_label(task).lower()})"
    minimum_off = d["answer_lower"] < 50  # in most problems the descent ends below the true answer's energy
    findings = _findings(d, task, records[0].config["train"]["step_size"], level, minimum_off)
    return findings + _verdict(d, harder, minimum_off)


def _findings(d: dict, task: str, lam: float, level: str, minimum_off: bool) -> str:
    """What ``difficulty_summary``'s numbers ``d`` show at ``level``: the descents, the answer's energy, halting."""
    _, label, _ = difficulty_levels(task)
    small = float(d["small_lambda"])
    text = (
        f"At {'operands from ' * (task == 'addition')}{label(level)}, with the training step size λ = {lam:g}, "
        f"the error is {d['at_10']:.3g} after "
        f"{d['early']} steps and {d['at_80']:.3g} after {d['late']}: it {'falls' if d['falls'] else 'does not fall'}. "
        f"Started at the true answer, the same descent moves to an error of {d['from_answer_step1']:.3g} after one "
        f"step and ends at {d['from_answer_end']:.3g}; the descents from random starts end "
        + ("at the same error (within 5 % in every seed, with every step size)" if d["same_end"]
           else "elsewhere (more than 5 % apart in some seed or step size)")
        + f", and the true answer has a lower energy than where the descent ends in {d['answer_lower']:.0f} % of "
        "the problems. "
    )  # fmt: skip
    if minimum_off:
        grows = "grows" if d["end_largest"] > d["end_smallest"] else "does not grow"
        text += (f"So the true answer is not the energy's minimum, and the distance between them {grows} with "
                 f"difficulty: from {d['end_smallest']:.2g} at {label(d['smallest'])} to {d['end_largest']:.2g} at "
                 f"{label(d['largest'])}. ")  # fmt: skip
    return text + (
        f"A smaller test-time step size (λ = {small:g}) "
        + ("does make the error fall" + f" on each of the {d['seeds']} seeds" * (d["seeds"] > 1) if d["small_falls"]
           else "does not make the error fall either")
        + f" between {d['early']} and {d['late']} steps ({d['small_at_10']:.3g} → {d['small_at_80']:.3g}); after "
        f"{d['steps']} steps it reaches {d['small_at_end']:.3g}"
        + (", the same minimum, only more slowly. " if d["same_end"] else ". ")
        + f"Halting stops between {d['halt_min']:.1f} and {d['halt_max']:.1f} steps at every level. "
    )  # fmt: skip


def _verdict(d: dict, harder: str, minimum_off: bool) -> str:
    """Whether more steps lower the error on ``harder`` problems, from ``difficulty_summary``'s numbers ``d``."""
    best, lower = float(d["best_lambda"]), d["best_end"] < 0.9 * d["at_10"]  # below the training lambda's at step 10
    if d["falls"]:
        return f"**Verdict:** here more steps do lower the error on {harder}, with the training step size."
    if lower:
        return (
            f"After {d['steps']} steps the lowest error comes with λ = {best:g}: {d['best_end']:.3g}, against "
            f"{d['at_10']:.3g} after {d['early']} steps and {d['trained_end']:.3g} after {d['steps']} with the "
            "training step size ("
            + (f"whose lowest error along its descent is {d['trained_min']:.3g}, at step {d['trained_min_step']}"
               if d["trained_min_step"] else f"which never goes below its random start's error, {d['trained_min']:.3g}")
            + (f"). **Verdict:** here more steps do lower the error on {harder}, with a smaller test-time step size: "
               "the training one overshoots." if d["best_falls"] else
               f"). **Verdict:** here a smaller test-time step size lowers the error on {harder} (the training one "
               f"overshoots), but more steps do not: with λ = {best:g} the error is {d['best_at_10']:.3g} after "
               f"{d['early']} steps and {d['best_at_80']:.3g} after {d['late']}.")
            + (" The energy's minimum is off the answer as well, so the error stays well above zero however many "
               "steps are taken." if minimum_off else "")
        )  # fmt: skip
    if minimum_off:
        return (
            f"**Verdict:** with this energy, more steps cannot lower the error on {harder}: no step size tried ends "
            "below the training one, halting stops where the energy stops falling, and what would have to change is "
            "where the learned energy puts its minimum for inputs outside the training range, not the number of "
            "steps, the step size or the halting rule."
        )
    return (
        f"**Verdict:** the error does not fall on {harder}, but the descents do not all end at the same point, or "
        "the true answer has the lower energy in most problems: the descent, not only the energy, is at fault here."
    )


def fig2_step_size_note(records: Sequence[Record], recurrent: Sequence[Record], nodes: int) -> str:
    """Fig. 2's claim at ``nodes`` nodes with the best test-time step size of the difficulty records (Markdown).

    IREM's error after step 5 and after the last step with that step size, against the recurrent
    baseline's after its last step (``recurrent``: its graph-experiment records, same profile).
    The step size is chosen among the few tried on these same test graphs, which the note says.
    """
    d = difficulty_summary(records, str(nodes))
    best = float(d["best_lambda"])
    curve = mean_curve(records, DIFFICULTY_CURVE, "scales", str(nodes), "step_size", d["best_lambda"], "mse_by_step")
    entry = records[0].curves[DIFFICULTY_CURVE]
    step5, tried = float(curve[entry["steps"].index(5)]), len(entry["scales"][str(nodes)]["step_size"])
    other = float(mean_curve(recurrent, MSE_BY_NODES, str(nodes))[-1])  # the recurrent baseline's last step
    holds = d["best_end"] < step5 and d["best_end"] < other
    return (
        f"Figure 2's claim at {nodes} nodes with λ = {best:g} at test time (the best of the {tried} "
        f"step sizes tried, chosen on these test graphs): IREM's error goes from {step5:.3g} after 5 steps to "
        f"{d['best_end']:.3g} after {d['steps']}, against the recurrent baseline's {other:.3g} after its last step "
        f"(with the training step size IREM ends at {d['trained_end']:.3g}). "
        + ("With this step size the claim holds here: the error falls with more steps and ends below the recurrent "
           "baseline's." if holds else "Even with this step size the claim does not hold here.")
    )  # fmt: skip


def styled_difficulty_table(records: Sequence[Record]) -> Styler:
    """``difficulty_table`` for the book: percentages and halting steps at the precision they mean."""
    return styled(difficulty_table(records), {"answer lower (%)": "{:.0f}", "halting step": "{:.1f}"})


def difficulty_caption(records: Sequence[Record]) -> str:
    """The caption of one task's difficulty figure (Markdown): what its records are and what each panel shows."""
    first = records[0]
    made = f"{first.profile} profile, {len(records)} seed(s)"
    if first.task == "addition":
        subject, level = f"addition with operands from U(-s, s), mean over seeds ({made})", "scale"
    else:
        subject, level = f"{task_label(first.task).lower()} against graph size, trained on 2-10 nodes ({made})", "size"
    return (
        f"*IREM on {subject}. Left: test MSE against reasoning steps at each {level} from random starts (solid) and "
        f"from the true answer (dashed), with the training step size. Right: the error after the last step against "
        f"the {level}, from random starts with each test-time step size, from the true answer, and at halting "
        f"(relative tolerance {EvalConfig.halt_tol:g}).*"
    )


def minimum_why(difficulty, tasks: Sequence[str], level: str) -> str:
    """The clause "; why (difficulty experiment): ..." from its records of ``tasks`` at ``level``, or "" where none."""
    whys = []
    for task in tasks:
        recs = [r for r in difficulty.records if r.task == task] if difficulty is not None else []
        if not recs or level not in recs[0].curves[DIFFICULTY_CURVE]["scales"]:
            continue
        d = difficulty_summary(recs, level)
        at = f"{task_label(task).lower()} at {difficulty_levels(task)[1](level)} ({recs[0].profile})"
        if d["best_end"] < 0.9 * d["trained_end"]:  # a smaller test-time step does better: the descent overshoots
            whys.append(f"{at}, test-time λ = {float(d['best_lambda']):g} ends at {d['best_end']:.3g} after "
                        f"{d['steps']} steps (training λ: {d['trained_end']:.3g}; the true answer lower in energy in "
                        f"{d['answer_lower']:.0f} % of problems)")  # fmt: skip
            continue
        where = ("where descents from random starts end: the energy's minimum is off the answer" if d["same_end"]
                 else "not where descents from random starts end")  # fmt: skip
        whys.append(f"{at}, a descent started at the true answer ends at {d['from_answer_end']:.3g}, {where}")
    return "; why (difficulty experiment): " + "; ".join(whys) if whys else ""
