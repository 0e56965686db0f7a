import pytest
import torch

from irem.config import EvalConfig, TrainConfig

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(params=DEVICES)
def device(request) -> torch.device:
    return torch.device(request.param)


@pytest.fixture
def tiny_train() -> TrainConfig:
    return TrainConfig(iterations=20, batch_size=8, hidden=32, replay_capacity=64, log_every=5)


@pytest.fixture
def tiny_eval() -> EvalConfig:
    return EvalConfig(test_problems=16, test_steps=6, eval_batch=8, landscape_problems=2)


def gen(seed: int = 0, device: str | torch.device = "cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def fake_record(experiment: str, task: str, method: str = "irem", seed: int = 0, train=None, metrics=None, curves=None,
                cost=None, profile: str = "quick"):  # fmt: skip
    """A run record built in memory for the analysis tests: only what tables and figures read (never saved)."""
    from irem.store import Record

    train = {"replay": True, "truncate": True, "step_size": 100.0, "scratchpad": 0, **(train or {})}
    return Record(experiment=experiment, task=task, method=method, seed=seed, profile=profile,
                  config={"train": train, "eval": {}, "task_options": {}}, config_hash="0" * 12, parameters=10,
                  metrics=metrics or {"same": {"mse": 0.1}}, curves=curves or {}, provenance={},
                  training_cost=cost)  # fmt: skip


def cost(speed: float, memory: float) -> dict:
    """A training cost as ``measure.training_cost`` stores it."""
    return {"iters_per_s": speed, "peak_memory_mb": memory, "memory_measure": "test", "iterations": 3}


def splits(same: float, harder: float, halt: float = 5.0) -> dict:
    """Metrics of the two test splits, with a halting step and a label variance."""
    return {"same": {"mse": same, "mean_halt_step": halt, "label_variance": 1.0},
            "harder": {"mse": harder, "mean_halt_step": halt, "label_variance": 2.0}}  # fmt: skip
