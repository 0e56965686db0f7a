import pytest
import torch
from conftest import gen

from irem.replay import ReplayBuffer


def test_ring_buffer_keeps_the_newest_samples(device):
    buf = ReplayBuffer(capacity=5)
    for start in (0, 3, 6):  # 9 samples through a ring of 5
        v = torch.arange(start, start + 3, device=device, dtype=torch.float32)
        buf.add(x=v[:, None], y=-v[:, None])
    assert len(buf) == 5
    stored = sorted(buf._store["x"][:, 0].tolist())
    assert stored == [4.0, 5.0, 6.0, 7.0, 8.0]
    assert buf._store["x"].device.type == device.type


def test_samples_come_from_the_buffer_with_rows_kept_together(device):
    buf = ReplayBuffer(capacity=100)
    v = torch.arange(10, device=device, dtype=torch.float32)
    buf.add(x=v[:, None], y=2 * v[:, None])
    s = buf.sample(64, gen(0, device))
    assert s["x"].shape == (64, 1)
    torch.testing.assert_close(s["y"], 2 * s["x"])  # fields of one sample stay aligned
    assert set(s["x"][:, 0].tolist()) <= set(v.tolist())
    assert len(set(s["x"][:, 0].tolist())) > 5  # draws across the buffer


def test_a_batch_larger_than_the_capacity_keeps_its_end():
    buf = ReplayBuffer(capacity=3)
    buf.add(x=torch.arange(7.0)[:, None])
    assert sorted(buf._store["x"][:, 0].tolist()) == [4.0, 5.0, 6.0]


def test_stored_values_are_detached_copies():
    buf = ReplayBuffer(capacity=4)
    x = torch.ones(2, 3, requires_grad=True)
    buf.add(x=x * 2)
    assert not buf._store["x"].requires_grad


def test_errors():
    with pytest.raises(ValueError, match="replay_capacity"):
        ReplayBuffer(0)
    buf = ReplayBuffer(4)
    with pytest.raises(RuntimeError, match="empty"):
        buf.sample(1, gen())
    buf.add(x=torch.zeros(1, 2))
    with pytest.raises(ValueError, match="expected fields"):
        buf.add(y=torch.zeros(1, 2))


def test_device_counters_write_what_host_counters_write_and_sample_only_filled_slots(device):
    # the form a CUDA-graph-captured step uses: position and fill level live in device tensors
    host, dev = ReplayBuffer(capacity=7), ReplayBuffer(capacity=7)
    first = torch.arange(2.0, device=device)[:, None]
    host.add(x=first)
    dev.add(x=first)
    dev.keep_counters_on_device()
    assert dev.counters_on_device and dev._counters()[1].device.type == device.type
    # before the ring is full, draws come from the two filled slots only
    drawn = dev.sample(200, gen(0, device))["x"][:, 0]
    assert set(drawn.tolist()) == {0.0, 1.0}
    for start in range(2, 20, 3):  # through the ring twice: positions wrap on the device
        v = torch.arange(start, start + 3, device=device, dtype=torch.float32)[:, None]
        host.add(x=v)
        dev.add(x=v)
        filled = host._size  # slots past it are still uninitialised memory
        torch.testing.assert_close(dev._store["x"][:filled], host._store["x"][:filled])
        assert tuple(map(int, dev._counters())) == (host._next, host._size)
    drawn = dev.sample(500, gen(1, device))["x"][:, 0]
    assert set(drawn.tolist()) == set(host._store["x"][:, 0].tolist())  # every slot, nothing else
    state = dev.state_dict()  # plain ints, as a checkpoint stores them
    assert (state["next"], state["size"]) == (host._next, host._size)
    restored = ReplayBuffer(capacity=7)
    restored.load_state_dict(state)
    assert not restored.counters_on_device and len(restored) == 7


def test_device_counters_need_a_first_batch():
    with pytest.raises(RuntimeError, match="add a batch"):
        ReplayBuffer(4).keep_counters_on_device()
