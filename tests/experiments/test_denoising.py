"""The denoising chapter: its evaluation, the PSNR tables, the variants we tried, their prose and the Table 5 claim."""

import math
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import torch

from irem import experiments
from irem.book.tables import merge_std
from irem.config import EvalConfig, TrainConfig
from irem.experiments.denoising import analysis, figures
from irem.experiments.denoising.experiment import EXAMPLE, PSNR_BY_STEP, denoising
from irem.methods import make_method
from irem.store import Record
from irem.tasks import make_task

RUNS = Path(__file__).resolve().parents[2] / "data" / "runs"


def record(method="irem", metrics=None, curves=None, train=None) -> Record:
    return Record(experiment="denoising", task="denoising", method=method, seed=0, profile="quick",
                  config={"train": {"step_size": 100.0, **(train or {})}, "eval": {}, "task_options": {}},
                  config_hash="0" * 12, parameters=10, metrics=metrics or {}, curves=curves or {},
                  provenance={})  # fmt: skip


def rec(method, psnr, by_steps, **extra) -> Record:
    """A record at sigma 45 and 75 whose PSNR curve peaks after two steps."""
    m = {"mse": 0.01, "psnr": psnr, "psnr_noisy": 12.0, "psnr_by_steps": by_steps, "mean_halt_step": 5.0, **extra}
    curve = [12.0, 20.0, psnr + 1, psnr]  # the best PSNR after two steps
    r = record(method, metrics={"45": m, "75": m}, curves={PSNR_BY_STEP: {"45": curve, "75": curve}})
    r.config["eval"]["test_steps"] = 100
    r.config["train"]["iterations"] = 400
    return r


def test_denoising_experiment_smoke(tmp_path):
    result = experiments.run("denoising", profile="smoke", seeds=1, device="cpu", runs_dir=tmp_path, progress=False)
    irem = next(r for r in result.records if r.method == "irem")
    assert set(irem.metrics) == {"45", "55", "65", "75"}
    steps = irem.eval["test_steps"]
    assert len(irem.curves[PSNR_BY_STEP]["75"]) == steps + 1
    assert irem.curves[EXAMPLE]["sigma"] == 75
    table = analysis.denoising_table(result.records)
    assert "DnCNN (feedforward)" in set(table.method) and analysis.sigma_column(75) in table.columns
    for fig in (figures.psnr_vs_steps(result.records), figures.denoising_example(result.records)):
        assert fig.axes
    assert not analysis.paper_denoising_table().empty
    # the smoke profile reports PSNR after 5 steps only: the variants table shows that one column once
    variants = analysis.denoising_variants([result.records])
    assert variants[0].psnr_by_steps.keys() == {5} and variants[0].gain == 0
    assert list(analysis.variants_table(variants).filter(like="steps").columns) == ["5 steps"]
    assert analysis.denoising_variants_prose(variants).startswith("With the paper's energy")
    assert [c.order for c in analysis.claims({"denoising": result})] == [100]


class _TowardsInput(torch.nn.Module):
    """E(x, y) = |y - x|^2 / 2: its minimum is the noisy input, so a step of size 1 lands on it from anywhere."""

    def forward(self, x, y, z=None):
        return 0.5 * ((y - x) ** 2).flatten(1).sum(-1)


def test_descent_from_the_clean_image_ends_at_the_energy_minimum():
    task = make_task("denoising", patch=16, test_crop=24)
    irem = make_method("irem", task, TrainConfig(hidden=8, step_size=1.0))
    irem.energy = _TowardsInput()
    metrics, _ = denoising(irem, task, EvalConfig(test_steps=3), torch.device("cpu"), seed=0)
    for m in metrics.values():  # started at the clean image, the descent ends at the noisy input (the minimum)
        assert m["psnr_from_clean"] == pytest.approx(m["psnr_noisy"], abs=1e-3)
        assert m["psnr"] == pytest.approx(m["psnr_noisy"], abs=1e-3)  # from the noisy input it never moves


def test_denoising_summary():
    recs = [rec("irem", 22.0, {"5": 21.0, "100": 22.5}, psnr_from_clean=30.0), rec("feedforward", 21.5, {})]
    summary = analysis.denoising_summary(recs)
    assert asdict(summary) == pytest.approx({"sigma_max": 75, "irem_5": 21.0, "irem_100": 22.5, "dncnn": 21.5,
                                             "steps_gain": 1.5, "gain_std": 0.0, "seeds": 1, "vs_dncnn": "above",
                                             "gap": 1.0, "from_clean": 30.0, "steps": 100})  # fmt: skip
    assert analysis.gain_spread(summary) == "from one seed"
    assert analysis.minimum_prose(summary).startswith("**Where is the energy's minimum?** Started at the clean image")
    assert "ends at 30.00 dB after 100 steps at σ = 75" in analysis.minimum_prose(summary)
    assert analysis.minimum_prose(analysis.denoising_summary(recs[1:])) == ""  # no descent from the clean image
    # a second seed that gains 0.5 dB: the mean gain and its spread between seeds, "mean ± std" in the table
    two = [*recs, rec("irem", 22.0, {"5": 21.0, "100": 21.5}, psnr_from_clean=30.0)]
    summary = analysis.denoising_summary(two)
    assert summary.steps_gain == pytest.approx(1.0) and summary.seeds == 2
    assert summary.gain_std == pytest.approx(np.std([1.5, 0.5], ddof=1))
    assert analysis.gain_spread(summary) == "± 0.71 dB between 2 seeds"
    shown = merge_std(analysis.denoising_table(two), digits=2).set_index("method")
    assert shown.loc["IREM, 100 steps", "σ=75"] == "22.00 ±\u00a00.71"
    assert shown.loc["IREM, 5 steps", "σ=75"] == "21.00 ±\u00a00.00"
    assert shown.loc["DnCNN (feedforward)", "σ=75"] == "21.50"  # one seed: the mean alone


def test_denoising_variants_and_their_prose():
    recs = [rec("irem", 22.0, {"5": 21.0, "100": 22.5}, psnr_from_clean=30.0), rec("feedforward", 21.5, {})]
    prior = rec("irem", 20.0, {"5": 19.0, "100": 20.5})
    prior.config["train"].update(step_size=0.1, image_energy="prior", iterations=2000)
    variants = analysis.denoising_variants([recs, [prior]])
    assert [v.step_size for v in variants] == [100.0, 0.1] and [v.gain for v in variants] == pytest.approx([1.5, 1.5])
    assert [analysis.IMAGE_ENERGY_LABELS[v.energy] for v in variants] == ["E(noisy, candidate)", "E(candidate)"]
    assert variants[0].from_clean == 30.0 and math.isnan(variants[1].from_clean)
    assert [v.best_step for v in variants] == [2, 2] and [v.at_best_step for v in variants] == [23.0, 21.0]
    assert [v.at_halting for v in variants] == [22.0, 20.0] and [v.iterations for v in variants] == [400, 2000]
    assert variants[0].best_step_by_sigma == {45: 2, 75: 2} and variants[0].sigma == 75
    table = analysis.variants_table(variants)
    assert list(table.columns) == ["energy", "training λ", "iterations", "5 steps", "100 steps", "best step",
                                   "at the best step", "at halting", "from the clean image"]  # fmt: skip
    assert list(table["energy"]) == ["E(noisy, candidate)", "E(candidate)"] and list(table["100 steps"]) == [22.5, 20.5]
    assert ">2,000<" in analysis.styled_variants_table(variants).to_html()
    prose = analysis.denoising_variants_prose(variants)
    assert "the gain from 5 steps to 100 steps at σ = 75 is at most +1.50 dB, at or above the 0.5 dB target" in prose
    assert "trained for 2,000 iterations, gives 19.00 dB after 5 steps at σ = 75, 21.00 dB at its best step (2)" in (
        prose)  # fmt: skip
    assert "the noisier the image the later the best step (σ=45: 2, σ=75: 2)" in prose
    assert "as long" not in prose  # no pair-energy model trained longer than the others
    longer = rec("irem", 21.0, {"5": 21.0, "100": 21.1})
    longer.config["train"].update(iterations=2000)
    prose = analysis.denoising_variants_prose(analysis.denoising_variants([recs, [longer]]))
    assert "(λ = 100 for 400 iterations, λ = 100 for 2,000 iterations)" in prose
    assert "Trained 5× as long (λ = 100), the model gains +0.10 dB from 5 steps to 100 steps" in prose
    assert "longer training alone does not teach this energy to use more steps" in prose
    # the variants beside the chapter's model, and the prior energy's records among them
    assert analysis.variant_changes(400)[0] == {"iterations": 2000} and len(analysis.variant_changes(400)) == 5
    assert analysis.prior_variant([[longer], [prior]]) == [prior] and analysis.prior_variant([[longer]]) is None
    assert analysis.prior_caption([prior]).startswith("*PSNR against reasoning steps of IREM with the energy of the")
    assert "(2,000 iterations)" in analysis.prior_caption([prior])


def _verdict_row(result) -> dict:
    from irem import summary  # the summary's verdict table, which finds the chapter's claims

    table = summary.verdict_table({"denoising": result})
    return table[table["claim of the paper"].str.startswith("Table 5")].iloc[0].to_dict()


def _claim_row(result) -> dict:
    from irem.book.claims import claims_table

    return claims_table(analysis.claims({"denoising": result})).iloc[0].to_dict()


def test_claims_give_the_verdict_tables_row():
    recs = [rec("irem", 22.0, {"5": 21.0, "100": 22.5}, psnr_from_clean=30.0), rec("feedforward", 21.5, {})]
    result = experiments.ExperimentResult(experiments.get("denoising"), "quick", recs, seeds=3)
    (claim,) = analysis.claims({"denoising": result})
    assert claim.order == 100 and claim.verdict == "reproduced"
    assert claim.ours == "IREM 22.50 dB after 100 steps vs DnCNN 21.50; 5 → 100 steps +1.50 dB (skimage images)"
    assert analysis.claims({}) == []
    two = [*recs, rec("irem", 20.0, {"5": 19.0, "100": 20.0}, psnr_from_clean=25.0)]  # now below DnCNN after 100
    result_two = experiments.ExperimentResult(experiments.get("denoising"), "quick", two, seeds=3)
    assert analysis.claims({"denoising": result_two})[0].verdict == "partly"
    assert "+1.25 ± 0.35 dB" in analysis.claims({"denoising": result_two})[0].ours
    for r in (result, result_two):
        assert _claim_row(r) == _verdict_row(r)


def test_claims_give_the_verdict_tables_row_on_the_stored_records():
    result = experiments.stored("denoising", profile="best", runs_dir=RUNS, progress=False)
    if result is None:
        pytest.skip("no denoising records stored")
    assert _claim_row(result) == _verdict_row(result)
