"""Notes the book puts under a result: which profile, seeds, devices and commits made it, and what is missing."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd

from irem.book.stats import group
from irem.curves import TRAIN_LOSS
from irem.methods import method_label
from irem.store import Record
from irem.tasks import task_label

PROFILE_NOTES = {
    "paper": "the **paper** profile (the paper's settings of App. C: 10,000 iterations, 5 steps, λ = 100)",
    "quick": "the **quick** profile (fewer training iterations than the paper, so a CPU can rerun it in minutes)",
    "smoke": "the **smoke** profile (a few iterations of tiny models: a test that every code path runs, not a result)",
}


def seed_list(records: Sequence[Record]) -> str:
    """The training seeds of ``records``, ascending: ``"0, 1, 2"``."""
    return ", ".join(map(str, sorted({r.seed for r in records})))


def seeds_by_task(records: Sequence[Record]) -> str:
    """The training seeds each task's records hold: ``"seeds: edge copy 0, 1; shortest path 0"``."""
    tasks = dict.fromkeys(r.task for r in records)
    return "seeds: " + "; ".join(f"{task_label(t).lower()} {seed_list([r for r in records if r.task == t])}"
                                 for t in tasks)  # fmt: skip


def provenance_text(result) -> dict[str, str]:
    """Who made a result's records: seeds, devices, torch versions, commits and wall time, as text."""
    recs = result.records
    return {
        "seeds": seed_list(recs),
        "devices": "; ".join(sorted({r.provenance["device"] for r in recs})),
        "torch": ", ".join(sorted({r.provenance["torch"] for r in recs})),
        "commits": ", ".join(sorted({r.provenance["git_commit"][:10] for r in recs})),
        "minutes": f"{sum(r.provenance['wall_s'] for r in recs) / 60:.1f}",
        # a model whose cached weights were reused (composition reuses addition) keeps its training log
        "train_minutes": f"{sum(r.provenance['train_wall_s'] for r in recs) / 60:.1f}",
    }


def provenance_note(result) -> str:
    """A Markdown admonition saying which profile, seeds, devices and commits made a result."""
    p = provenance_text(result)
    return (
        ":::{note}\n"
        f"This page shows {PROFILE_NOTES.get(result.profile, result.profile)}: {len(result.records)} run record(s) "
        f"({basis(result)}, of the {result.seeds} seed(s) asked for), "
        f"seed(s) {p['seeds']}, made on {p['devices']} with torch {p['torch']} at commit(s) {p['commits']}; "
        f"the models trained for {p['train_minutes']} minutes in all, and writing the records took {p['minutes']} "
        "minutes (less where trained weights were reused).\n"
        ":::\n"
    )


def provenance_table(results: dict[str, object]) -> pd.DataFrame:
    """One row per experiment (``{name: ExperimentResult}``): the profile shown and who made its records."""
    rows = []
    for name, result in results.items():
        p = provenance_text(result)
        rows.append({"experiment": name, "profile": result.profile, "records": len(result.records), "seeds": p["seeds"],
                     "devices": p["devices"], "torch": p["torch"], "commits": p["commits"],
                     "training minutes": p["train_minutes"], "record minutes": p["minutes"]})  # fmt: skip
    return pd.DataFrame(rows)


def budget_note(result, paper_iterations: int = 10_000) -> str:
    """A sentence on how long a result's runs trained, against the paper's budget."""
    its = sorted({r.train["iterations"] for r in result.records})
    text = f"These runs trained for {' / '.join(f'{i:,}' for i in its)} iterations (the paper: {paper_iterations:,})."
    if max(its) < paper_iterations:
        text += (" A baseline far above its paper number here may not have converged; the `paper` profile"
                 " is the fair comparison.")  # fmt: skip
    return text


def not_run_note(experiment: str) -> str:
    """A Markdown note for a page section whose experiment has no stored records yet, with the command."""
    return (f":::{{note}}\nNot run yet: no stored `{experiment}` records (quick or paper profile) for this section. "
            f"`irem reproduce {experiment} --profile quick` makes them.\n:::\n")  # fmt: skip


def missing_comparison_note(experiment: str, profile: str, methods: Sequence[str], why: str) -> str:
    """A Markdown note for a comparison whose records at ``profile`` are not all stored (the book never trains)."""
    return (f":::{{note}}\n{why} needs the stored `{experiment}` records of {', '.join(methods)} at the {profile} "
            f"profile, and some are missing: `irem reproduce {experiment} --profile {profile} --methods "
            f"{' '.join(methods)}` makes them.\n:::\n")  # fmt: skip


def retrained_note(records: Sequence[Record], reference: Sequence[Record], where: str) -> str:
    """A sentence on the models of ``records`` that retrain a model of ``reference`` with another outcome.

    A retraining has the same task, method, seed, profile and training config but another training
    curve: float rounding differed (another CPU or code version). Each one's test errors are given
    beside the reference model's; empty when every model is the reference's own.
    """
    parts = []
    for r in records:
        twins = [x for x in reference if (x.task, x.method, x.seed, x.profile) == (r.task, r.method, r.seed, r.profile)
                 and x.config["train"] == r.config["train"]]  # fmt: skip
        if not twins or any(trained_model(x) == trained_model(r) for x in twins):
            continue
        x = twins[0]
        errors = "; ".join(f"{split}: {r.metrics[split]['mse']:.4f} against {x.metrics[split]['mse']:.4f}"
                           for split in r.metrics if split in x.metrics and "mse" in r.metrics[split])  # fmt: skip
        parts.append(f"{task_label(r.task)}, seed {r.seed} ({errors})")
    if not parts:
        return ""
    return (
        f"Some models here are retrainings, with the same settings and seed, of the models of {where}: float "
        "rounding differed (another CPU or code version), so they are other draws of the same training, and "
        "their test errors differ from those: " + "; ".join(parts) + "."
    )


def trained_model(r: Record) -> tuple:
    """Which trained model made ``r``: its seed and its logged training loss.

    The same model shown in two chapters has the same curve; the same seed retrained elsewhere differs
    by float rounding, and so does its curve.
    """
    return r.seed, json.dumps(r.curves.get(TRAIN_LOSS))


def basis(result) -> str:
    """The profile and seed count a verdict rests on, flagging what falls short of the paper's protocol."""
    per_run = [len({r.seed for r in recs}) for recs in group(result.records).values()]
    low, high = min(per_run), max(per_run)
    seeds = f"{low} seed{'s' if high > 1 else ''}" if low == high else f"{low}-{high} seeds"
    caveat = " (fewer iterations than the paper)" if result.profile != "paper" else ""
    return f"{result.profile}, {seeds}{caveat}"


def committed_note(verifiable: Sequence[Record], not_verifiable: Sequence[Record], folder: str) -> str:
    """Which records a fresh clone can evaluate again from committed weights, and which it would train again.

    The two lists are ``irem.verify.split_by_weights``'s; the models of the second are listed by method,
    task and seed. ``folder``: the records' folder, for the command.
    """
    n = len(verifiable) + len(not_verifiable)
    if n == 0:
        return ""
    text = (f"Of these {n} records, {len(verifiable)} evaluated a model whose weights are committed beside them: "
            f"`irem verify {folder}` evaluates each again from those weights, training nothing, and compares every "
            "stored metric.")  # fmt: skip
    if not not_verifiable:
        return text
    by_method: dict[str, dict[str, list[Record]]] = {}
    for r in not_verifiable:
        by_method.setdefault(r.method, {}).setdefault(r.task, []).append(r)
    missing = "\n".join(f"- {method_label(m)}: " + "; ".join(f"{task_label(t).lower()}, seed(s) {seed_list(rs)}"
                                                           for t, rs in sorted(tasks.items()))
                        for m, tasks in sorted(by_method.items()))  # fmt: skip
    return (f"{text} The models of the other {len(not_verifiable)} have no committed weights (they were trained "
            "before weights were kept), so `irem verify` cannot check them. They are being trained again with the "
            "same settings and seeds, keeping their records' names (`irem train --task <task> --method <method> "
            "--profile <profile> --seed <seed> --retrain` trains one), which repeats these numbers only where the "
            f"method's arithmetic has not changed since (float rounding):\n\n{missing}\n")  # fmt: skip
