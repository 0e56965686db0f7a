"""Resumable evaluation (irem.eval_stages): a killed evaluation goes on from its last finished stage."""

from __future__ import annotations

import pytest
import torch

from irem import eval_stages, experiments, store
from irem.experiments.compute import experiment as compute


class Killed(Exception):
    """Stands for the process being killed in the middle of a stage."""


def _stages(gen: torch.Generator, calls: list[int] | None = None, kill_at: int | None = None, labels="abc") -> list:
    """Three stages, each drawing from ``gen``; ``calls`` collects the ones that computed."""

    def compute(i: int) -> dict:
        if calls is not None:
            calls.append(i)
        if i == kill_at:
            raise Killed
        return {"draw": torch.rand(3, generator=gen), "i": i}

    return [eval_stages.stage(f"stage {label}", lambda i=i: compute(i), gen) for i, label in enumerate(labels)]


def _same(a: list, b: list) -> bool:
    return all(x["i"] == y["i"] and torch.equal(x["draw"], y["draw"]) for x, y in zip(a, b, strict=True))


def test_outside_resumable_a_stage_just_computes(tmp_path):
    calls = []
    _stages(torch.Generator().manual_seed(0), calls)
    _stages(torch.Generator().manual_seed(0), calls)
    assert calls == [0, 1, 2, 0, 1, 2] and not list(tmp_path.iterdir())


def test_a_killed_evaluation_resumes_to_the_results_of_an_uninterrupted_one(tmp_path):
    whole_gen = torch.Generator().manual_seed(0)
    whole = _stages(whole_gen)
    path = tmp_path / "run.eval.pt"
    with pytest.raises(Killed), eval_stages.resumable(path):
        _stages(torch.Generator().manual_seed(0), kill_at=2)
    calls, gen = [], torch.Generator().manual_seed(0)
    with eval_stages.resumable(path):
        resumed = _stages(gen, calls)
    assert calls == [2]  # stages 0 and 1 were kept; the generator is where they left it
    assert _same(resumed, whole) and torch.equal(gen.get_state(), whole_gen.get_state())
    eval_stages.discard(path)
    assert not path.exists()


def test_stages_that_other_code_made_are_computed_again_and_a_corrupt_file_is_ignored(tmp_path):
    path = tmp_path / "run.eval.pt"
    with eval_stages.resumable(path):
        _stages(torch.Generator().manual_seed(0))
    calls = []
    with eval_stages.resumable(path):  # stage 1 is another stage now: it and everything after it run again
        changed = _stages(torch.Generator().manual_seed(0), calls, labels="axc")
    assert calls == [1, 2] and _same(changed, _stages(torch.Generator().manual_seed(0)))
    path.write_bytes(b"not a stages file")
    calls = []
    with eval_stages.resumable(path):
        _stages(torch.Generator().manual_seed(0), calls)
    assert calls == [0, 1, 2]


def test_a_stage_within_a_stage_is_part_of_it(tmp_path):
    path, calls = tmp_path / "run.eval.pt", []
    for _ in range(2):
        gen = torch.Generator().manual_seed(0)
        with eval_stages.resumable(path):
            outer = eval_stages.stage("outer", lambda: _stages(gen, calls), gen)  # noqa: B023
            after = _stages(gen, calls, labels="d")
    assert calls == [0, 1, 2, 0]  # the rerun kept the outer stage (with its three inner ones) and the one after
    gen = torch.Generator().manual_seed(0)
    assert _same(outer + after, _stages(gen) + _stages(gen, labels="d"))


def test_a_compute_run_killed_while_evaluating_resumes_to_the_uninterrupted_record(tmp_path, monkeypatch):
    """The compute experiment at the smoke profile, killed in its 20th restart descent, then rerun."""
    run = lambda runs_dir: experiments.run("compute", profile="smoke", tasks=["edge_copy"], seeds=1,  # noqa: E731
                                           device="cpu", runs_dir=runs_dir, progress=False).records[0]  # fmt: skip
    whole = run(tmp_path / "whole")
    descent, calls = compute._descent, []

    def dies_at_the_20th(*args):
        calls.append(1)
        if len(calls) == 20:
            raise Killed
        return descent(*args)

    monkeypatch.setattr(compute, "_descent", dies_at_the_20th)
    with pytest.raises(Killed):
        run(tmp_path / "killed")
    spec = experiments.get("compute").spec("smoke", "edge_copy", "irem", 0)
    stages = store.evaluation_stages_path(tmp_path / "killed", spec)
    assert stages.exists() and not store.record_path(tmp_path / "killed", spec).exists()
    calls.clear()
    resumed = run(tmp_path / "killed")
    assert len(calls) == 32 - 19  # 16 descents at each of 2 sizes; the first 19 were kept
    assert resumed.provenance["weights"] == "reused" and not stages.exists()
    assert resumed.metrics == whole.metrics and resumed.curves == whole.curves
