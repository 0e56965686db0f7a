"""IRED (irem.ired, methods.IRED): the schedule, the descent through the landscapes, the losses, bad input."""

import math
from dataclasses import replace

import pytest
import torch

from irem import experiments, ired
from irem.config import EvalConfig, TrainConfig
from irem.methods import make_method
from irem.tasks import make_task


def test_the_cosine_schedule_is_the_releases():
    s = ired.Schedule.of("cosine", 10)
    # the release's sqrt(alpha_bar) and step sizes beta / sqrt(1 - alpha_bar) at K = 10 (its default)
    assert [round(v, 3) for v in s.scale] == [0.986, 0.948, 0.887, 0.805, 0.703, 0.584, 0.451, 0.307, 0.155, 0.005]
    assert [round(v, 3) for v in s.step_size] == [0.167, 0.237, 0.269, 0.298, 0.334, 0.382, 0.453, 0.564, 0.753,
                                                  0.999]  # fmt: skip
    for k in range(10):
        assert s.scale[k] ** 2 + s.sigma[k] ** 2 == pytest.approx(1.0)
    assert ired.Schedule.of("0.1,0.5,0.9", 3).sigma == (0.1, 0.5, 0.9)


def ideal_energy(answer: torch.Tensor, s: ired.Schedule):
    """The energy whose gradient is exactly the noise: |y - a_k y*|^2 / (2 sigma_k)."""
    return lambda y, k: ((y - s.scale[k] * answer) ** 2).sum(-1) / (2 * s.sigma[k])


@pytest.mark.parametrize("denoise_first", [True, False])
def test_the_descent_of_the_ideal_energy_ends_at_the_answer(denoise_first):
    s = ired.Schedule.of("cosine", 10)
    gen = torch.Generator().manual_seed(0)
    answer = torch.rand(6, 4, generator=gen) * 2 - 1
    start = torch.randn(6, 4, generator=gen)
    path = ired.descend_landscapes(ideal_energy(answer, s), start, s, 3, denoise_first=denoise_first)
    assert path.answers.shape == (1 + 10 * (3 + denoise_first), 6, 4)
    assert torch.allclose(path.answers[-1], answer, atol=1e-5)
    assert path.landscape[0] == 9 and path.landscape[-1] == 0 and all(0 <= f <= 1 for f in path.kept)


def test_a_step_that_raises_the_energy_is_rejected():
    s = ired.Schedule.of("cosine", 2)
    answer = torch.zeros(2, 3)

    def energy(y, k):  # a bowl far steeper than the step expects: every step overshoots and the energy rises
        return 100 * (y**2).sum(-1) / s.sigma[k]

    start = torch.ones(2, 3) * 0.1
    kept = ired.descend_landscapes(energy, start, s, 2, denoise_first=False, reject="energy", clip=0)
    moved = ired.descend_landscapes(energy, start, s, 2, denoise_first=False, reject="none", clip=0)
    assert kept.kept == [0.0] * 4
    # rejected steps leave the answer estimate where it was (rescaled between landscapes only)
    assert torch.allclose(kept.answers[-1], start / s.scale[1])
    assert moved.answers[-1].abs().max() > kept.answers[-1].abs().max() and answer.shape == (2, 3)


def test_ired_trains_its_noise_prediction_and_predicts_through_every_landscape():
    task = make_task("addition", size=4)
    cfg = TrainConfig(iterations=2, batch_size=8, hidden=16, landscapes=4)
    method = make_method("ired", task, cfg)
    gen = torch.Generator().manual_seed(0)
    batch = task.sample(8, "same", gen)
    loss = method.loss(batch, gen)
    loss.backward()
    assert loss.ndim == 0 and math.isfinite(loss.item())
    assert all(p.grad is not None for p in method.net.parameters())
    traj = method.predict(batch, 80, gen, EvalConfig(landscape_steps=2))
    assert traj.ys.shape == (1 + 4 * 3, 8, 4) and traj.energies is None
    assert (traj.halt_step == 12).all()
    no_energy = make_method("ired", task, TrainConfig(hidden=16, landscapes=4, energy_weight=0.0))
    no_energy.load_state_dict(method.state_dict())
    gen_a, gen_b = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    assert method.loss(batch, gen_a) > no_energy.loss(batch, gen_b)  # the contrastive term adds a positive amount
    # the test-time bound on the answer: the training bound (answer_clip 2) times test_clip_scale
    far = replace(batch, y=batch.y * 0 + 9.0)
    ends = [method.predict_from(far, far.y.clone(), EvalConfig(landscape_steps=1, test_clip_scale=scale)).ys[-1]
            for scale in (1.0, 3.0)]  # fmt: skip
    assert ends[0].abs().max() <= 2.0 + 1e-5 and 2.0 < ends[1].abs().max() <= 6.0 + 1e-5


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (dict(landscapes=0), "landscapes"),
        (dict(noise_schedule="quadratic"), "noise_schedule must be one of 'cosine', 'linear' or 10"),
        (dict(landscapes=3, noise_schedule="0.5,0.2,0.9"), "increasing"),
        (dict(landscapes=3, noise_schedule="0.1,0.5"), "3 \\(landscapes\\)"),
        (dict(landscapes=2, noise_schedule="0,0.5"), "in \\(0, 1\\)"),
        (dict(energy_weight=-1.0), "energy_weight"),
    ],
)
def test_bad_landscapes_are_refused_naming_the_value(settings, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**settings)


@pytest.mark.parametrize(("settings", "message"), [(dict(landscape_steps=0), "landscape_steps"),
                                                   (dict(reject="sometimes"), "reject"),
                                                   (dict(test_clip_scale=0.0), "test_clip_scale must be a finite "
                                                    "number > 0, got 0.0"),
                                                   (dict(test_clip_scale=math.inf), "test_clip_scale must be a "
                                                    "finite number")])  # fmt: skip
def test_bad_test_time_settings_are_refused(settings, message):
    with pytest.raises(ValueError, match=message):
        EvalConfig(**settings)


def test_ireds_settings_and_experiment_are_named_where_they_do_not_apply():
    continuous, ired_chapter = experiments.get("continuous"), experiments.get("ired")
    with pytest.raises(ValueError, match="run by the 'ired' experiment, not 'continuous'.*--experiment ired"):
        continuous.spec("smoke", "addition", "ired", 0)
    with pytest.raises(ValueError, match="landscape_steps=3 does not apply to method 'irem'"):
        continuous.spec("smoke", "addition", "irem", 0, {"landscape_steps": 3})
    with pytest.raises(ValueError, match="scratchpad=4 does not apply to method 'ired'"):
        ired_chapter.spec("smoke", "addition", "ired", 0, {"scratchpad": 4})
    spec = ired_chapter.spec("smoke", "addition", "ired", 0, {"energy_weight": 0.0, "denoise_first": False})
    assert spec.train.energy_weight == 0.0 and not spec.eval.denoise_first


def test_a_paper_run_keeps_its_name_with_ireds_settings_added():
    # the IRED fields are left out of a stored config at their defaults: every earlier record keeps its hash
    spec = experiments.get("graph").spec("paper", "shortest_path", "irem", 0)
    assert spec.filename() == "shortest_path__irem__paper__seed0__5935de5961d5.json"
    ired = experiments.get("ired").specs("quick", ["addition"], ["ired"], [0])[0]
    assert ired.filename() == "addition__ired__quick__seed0__8a98d5fdbb68.json"  # test_clip_scale added at 1


def test_ired_runs_on_graphs_with_one_answer_per_edge():
    task = make_task("shortest_path")
    method = make_method("ired", task, TrainConfig(hidden=16, landscapes=3))
    gen = torch.Generator().manual_seed(0)
    batch = task.sample(4, "same", gen)
    loss = method.loss(batch, gen)
    loss.backward()
    assert math.isfinite(loss.item()) and all(p.grad is not None for p in method.net.parameters())
    traj = method.predict(batch, 0, gen, EvalConfig(landscape_steps=2))
    assert traj.ys.shape == (1 + 3 * 3, *batch.y.shape) and traj.at_halt(batch.row_problem).shape == batch.y.shape


def _ired_records(errors_by_steps: dict[int, list[float]], harder: list[float]):
    from conftest import fake_record

    from irem.experiments.ired.experiment import BY_LANDSCAPE_STEPS

    return [fake_record("ired", "addition", "ired", seed, metrics={"same": {"mse": 0.1}, "harder": {"mse": h}},
                        curves={BY_LANDSCAPE_STEPS: {"harder": {str(s): {"mse": e[seed], "evaluations": 10 * s}
                                                                for s, e in errors_by_steps.items()}}})
            for seed, h in enumerate(harder)]  # fmt: skip


def test_the_chapter_says_falls_only_where_the_seeds_intervals_separate():
    from irem.experiments.ired.analysis import more_steps_verdict

    falls = _ired_records({1: [1.0, 1.1, 0.9, 1.05], 20: [0.1, 0.12, 0.09, 0.11]}, [0.5] * 4)
    assert "the error falls (1.025 to 0.105, medians over 4 seeds)" in more_steps_verdict(falls)
    overlapping = _ired_records({1: [1.0, 0.1, 0.5, 0.7], 20: [0.9, 0.2, 0.4, 0.6]}, [0.5] * 4)
    assert "does not move beyond the spread between seeds" in more_steps_verdict(overlapping)
    assert more_steps_verdict([]) == "not measured"


def test_ired_against_irem_compares_intervals_over_seeds():
    from conftest import fake_record

    from irem.experiments.ired.analysis import versus_irem
    from irem.experiments.results import ExperimentResult

    ired_records = _ired_records({1: [1.0] * 3}, [0.01, 0.012, 0.011])
    irem = [fake_record("continuous", "addition", "irem", s, metrics={"same": {"mse": 0.1}, "harder": {"mse": h}})
            for s, h in enumerate([0.5, 0.6, 0.55])]  # fmt: skip
    table = versus_irem([ExperimentResult(experiments.get("continuous"), "quick", irem)],
                        ExperimentResult(experiments.get("ired"), "quick", ired_records))  # fmt: skip
    assert table.set_index("test").verdict.to_dict() == {"same": "tied", "harder": "lower"}


def test_the_training_note_says_how_far_training_got_against_the_release():
    from dataclasses import replace

    from irem.experiments.ired.analysis import training_length_note
    from irem.experiments.results import ExperimentResult

    recs = [replace(r, provenance={"train_iters_per_s": 5.0, "device": "cpu"},
                    config={**r.config, "train": {**r.config["train"], "iterations": 4000, "batch_size": 128}})
            for r in _ired_records({1: [1.0]}, [0.5])]  # fmt: skip
    note = training_length_note(ExperimentResult(experiments.get("ired"), "quick", recs))
    # 4000 x 128 of 1.3M x 2048; 10,000 iterations at 5 it/s: 33 minutes
    assert "4,000 iterations of 128 problems (0.02% of the release's 1,300,000 × 2,048) at 5 iterations/s" in note
    assert "would take about 33 minutes a run" in note

    def cost(ms_per_iter, eval_s):  # benchmarks/book_cost.py's row of seed 0, timed alone
        return {"rows": [{"task": "addition", "method": "ired", "seed": 0, "ms_per_iter": ms_per_iter,
                          "train_s": 4000 * ms_per_iter / 1000, "eval_s_alone": eval_s}]}  # fmt: skip

    timed = training_length_note(ExperimentResult(experiments.get("ired"), "quick", recs),
                                 {1: cost(120.0, 60.0), 2: cost(75.0, float("nan"))})  # fmt: skip
    # 4000 x 120 ms + 1 minute; at 2 threads the evaluation has no record to scale; 10,000 x 120 ms = 20 minutes
    assert ("a run takes about 9 minutes on 1 thread and 5 minutes of training on 2 threads (no record yet to time "
            "its evaluation), alone on this machine's CPU; the paper profile's 10,000 iterations would train for "
            "about 20 minutes on 1 thread.") in timed  # fmt: skip


def test_stored_costs_are_the_ired_cost_benchmarks_of_the_profile_by_thread_count(tmp_path):
    import json

    from irem.experiments.ired.analysis import stored_costs

    assert stored_costs(tmp_path, "quick") == {}  # nothing timed yet: the note falls back to the records' speeds
    for name, threads, profile in (("ired_cost_1thread", 1, "quick"), ("ired_cost_2threads", 2, "quick"),
                                   ("ired_cost_paper", 1, "paper"), ("book_cost", 1, "quick")):  # fmt: skip
        (tmp_path / f"{name}.json").write_text(json.dumps({"settings": {"threads": threads, "profile": profile}}))
    assert {n: d["settings"]["profile"] for n, d in stored_costs(tmp_path, "quick").items()} == {1: "quick", 2: "quick"}


def test_the_ablation_table_says_where_an_ablation_is_apart_from_the_full_method():
    from irem.experiments.ired.analysis import ablation_table
    from irem.experiments.results import ExperimentResult

    def result(harder):
        return ExperimentResult(experiments.get("ired"), "quick", _ired_records({1: [1.0] * 3}, harder))

    table = ablation_table(result([0.01, 0.011, 0.012]), {"no energy supervision": result([0.5, 0.6, 0.55]),
                                                          "no projection": result([0.011, 0.01, 0.013])})  # fmt: skip
    cells = table.set_index("variant").harder.to_dict()
    assert cells["no energy supervision"].endswith("(higher)") and cells["no projection"].endswith("(tied)")
    assert "(" not in cells["IRED (full)"].split("[")[0] and cells["IRED (full)"].startswith("0.0110")


def test_the_bound_table_sets_the_looser_bound_beside_the_training_bound_per_task():
    from irem.experiments.ired.analysis import bound_note, bound_table
    from irem.experiments.results import ExperimentResult

    def result(harder):
        return ExperimentResult(experiments.get("ired"), "quick", _ired_records({1: [1.0] * 3}, harder))

    table = bound_table(result([0.7, 0.69, 0.71]), result([0.40, 0.41, 0.42]))
    assert list(table.columns) == ["task", "variant", "same", "harder"]
    assert list(table.variant) == ["training bound", "bound × 2.5"] and set(table.task) == {"Addition"}
    assert table.harder[1].startswith("0.4100") and table.harder[1].endswith("(lower)")
    assert bound_note(result([0.7, 0.69, 0.71]), result([0.40, 0.41, 0.42])).startswith(
        "With the looser bound the harder error (median over seeds) goes: addition 0.7 → 0.41.")  # fmt: skip


def test_the_verdict_table_gains_the_ired_rows_with_the_same_rules():
    from conftest import fake_record

    from irem import summary
    from irem.experiments.results import ExperimentResult

    ired_records = _ired_records({1: [1.0, 1.1, 0.9], 20: [0.1, 0.12, 0.11]}, [0.01, 0.012, 0.011])
    irem = [fake_record("continuous", "addition", "irem", s, metrics={"same": {"mse": 0.1}, "harder": {"mse": h}})
            for s, h in enumerate([0.5, 0.6, 0.55])]  # fmt: skip
    results = {"continuous": ExperimentResult(experiments.get("continuous"), "quick", irem),
               "ired": ExperimentResult(experiments.get("ired"), "quick", ired_records)}  # fmt: skip
    from irem.book.claims import claims_table
    from irem.experiments.ired import analysis

    assert analysis.claims in list(summary.chapter_claims())  # the summary finds the chapter's rows
    rows = claims_table(summary.claims(results, judges=iter([analysis.claims]))).set_index("claim of the paper")
    lower = rows.loc["IRED (the follow-up): on harder problems its error is below IREM's"]
    steps = rows.loc["IRED (the follow-up): more steps per landscape lower its error on harder problems"]
    assert lower.verdict == "reproduced" and "Addition (harder): 0.011 vs IREM's 0.55 (lower)" in lower.ours
    assert steps.verdict == "reproduced" and "falls" in steps.ours


def test_one_seed_is_not_judged():
    from irem.experiments.ired.analysis import UNJUDGED, judged, more_steps_verdict
    from irem.spread import over_seeds

    assert judged(over_seeds([0.1]), over_seeds([0.5, 0.6, 0.7])) == UNJUDGED
    one = _ired_records({1: [1.0], 20: [0.1]}, [0.5])
    assert (
        more_steps_verdict(one)
        == "from 1 to 20 steps per landscape the error goes from 1 to 0.1 (one seed: not judged)"
    )


def test_the_descent_from_the_answer_says_where_the_minimum_lies():
    from dataclasses import replace

    from irem.experiments.ired.analysis import from_answer_note
    from irem.experiments.ired.experiment import FROM_ANSWER

    def rec(curve, from_noise):
        r = _ired_records({1: [1.0]}, [from_noise])[0]
        return replace(r, curves={**r.curves, FROM_ANSWER: {"harder": curve}})

    off = from_answer_note([rec([0.0, 0.3, 0.6], 0.7)])
    assert (
        "ends at an MSE of 0.6; from noise, through every landscape, at 0.7: so the sharpest landscape's "
        "minimum is off the answer"
    ) in off
    near = from_answer_note([rec([0.2, 0.01, 0.01], 0.7)])
    assert "it starts at 0.2, not 0" in near and "the minimum is near the answer" in near


def test_ired_rows_on_one_seed_say_not_judged():
    from conftest import fake_record

    from irem.experiments.ired import analysis
    from irem.experiments.results import ExperimentResult

    ired = ExperimentResult(experiments.get("ired"), "quick", _ired_records({1: [1.0], 20: [0.1]}, [0.01]))
    irem = [fake_record("continuous", "addition", "irem", s, metrics={"same": {"mse": 0.1}, "harder": {"mse": h}})
            for s, h in enumerate([0.5, 0.6, 0.55])]  # fmt: skip
    rows = analysis.claims({"ired": ired, "continuous": ExperimentResult(experiments.get("continuous"), "quick", irem)})
    assert [c.verdict for c in rows] == ["not judged", "not judged"]
