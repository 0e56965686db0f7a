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
