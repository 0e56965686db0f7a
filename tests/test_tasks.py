import numpy as np
import pytest
import torch
from conftest import gen

from irem.tasks import make_task
from irem.tasks.continuous import SIDE


def test_addition_is_the_sum_within_its_ranges(device):
    task = make_task("addition")
    for difficulty, r in (("same", 1.0), ("harder", 2.5)):
        b = task.sample(64, difficulty, gen(0, device))
        x, y = b.x.cpu().numpy(), b.y.cpu().numpy()
        assert x.shape == (64, 800) and y.shape == (64, 400)
        np.testing.assert_allclose(y, x[:, :400] + x[:, 400:], atol=1e-6)
        assert np.abs(x).max() <= r and np.abs(x).max() > 0.95 * r  # uses the whole range


def test_matrix_completion_masks_half_and_has_the_stated_variance():
    task = make_task("matrix_completion")
    for difficulty, std in (("same", 20**-0.5), ("harder", 5**-0.5)):
        b = task.sample(2000, difficulty, gen(1))
        x, y = b.x.numpy(), b.y.numpy()
        kept = x != 0
        assert 0.48 < kept.mean() < 0.52  # about half of the entries are observed
        np.testing.assert_array_equal(x[kept], y[kept])  # observed entries are the matrix's
        # var of an entry of U V^T + 0.1 N(0,1): rank * std^4 + 0.01
        assert y.var() == pytest.approx(10 * std**4 + 0.01, rel=0.05)


def test_matrix_completion_is_low_rank_plus_small_noise():
    b = make_task("matrix_completion").sample(50, "same", gen(2))
    s = np.linalg.svd(b.y.numpy().reshape(-1, SIDE, SIDE), compute_uv=False)
    # the 10 signal directions dominate the 10 noise-only ones
    assert (s[:, :10].sum(1) > 3 * s[:, 10:].sum(1)).all()


@pytest.mark.parametrize("variant", ["code", "paper"])
@pytest.mark.parametrize("difficulty", ["same", "harder"])
def test_matrix_inverse_really_inverts(variant, difficulty):
    b = make_task("matrix_inverse", variant=variant).sample(32, difficulty, gen(3))
    m = b.x.double().numpy().reshape(-1, SIDE, SIDE)
    inv = b.y.double().numpy().reshape(-1, SIDE, SIDE)
    np.testing.assert_allclose(m, m.transpose(0, 2, 1), atol=1e-5)  # symmetric
    if variant == "code":  # well conditioned: float32 answers invert to float precision
        np.testing.assert_allclose(m @ inv, np.broadcast_to(np.eye(SIDE), m.shape), atol=1e-3)
    np.testing.assert_allclose(inv, np.linalg.inv(m), rtol=1e-3, atol=1e-3 * np.abs(inv).max())


def test_inverse_code_variant_matches_its_definition():
    # M = A + A^T + 0.5 I with A = R R^T is positive definite with eigenvalues >= 0.5
    m = make_task("matrix_inverse").sample(16, "same", gen(4)).x.double().numpy().reshape(-1, SIDE, SIDE)
    assert np.linalg.eigvalsh(m).min() >= 0.5 - 1e-4


def test_same_seed_same_problems_and_different_seed_different():
    task = make_task("addition")
    a, b, c = (task.sample(4, "same", gen(s)) for s in (7, 7, 8))
    assert torch.equal(a.x, b.x) and not torch.equal(a.x, c.x)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda t: t.sample(4, "medium", gen()), "difficulty='medium'.*'same', 'harder'"),
        (lambda t: t.sample(0, "same", gen()), "batch_size must be an integer > 0"),
        (lambda t: t.sample(2.5, "same", gen()), "batch_size"),
    ],
)
def test_bad_sampling_arguments_name_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call(make_task("addition"))


def test_unknown_task_lists_the_tasks():
    with pytest.raises(ValueError, match="task='sorting'.*'addition', 'matrix_completion', 'matrix_inverse'"):
        make_task("sorting")
    with pytest.raises(ValueError, match="variant"):
        make_task("matrix_inverse", variant="other")
