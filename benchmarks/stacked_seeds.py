"""Does training S seeds of IREM addition in one process, parameters stacked (torch.func vmap), pay on this CPU?

A measurement, not a training path: ``irem`` trains one seed per process. Usage (one thread, as the sweeps run)::

    OMP_NUM_THREADS=1 python benchmarks/stacked_seeds.py 3      # S = 3 seeds

Paper settings for the compute: batch 128, x 800, y 400, hidden 512, N = 5 steps, lambda = 100, truncated
backprop (only the last step differentiated), Adam. Data are random tensors (the compute does not depend on them).
Compares S separate functional models run one after another with one vmap over the stacked parameters,
interleaved rounds, median ms per iteration for all S seeds together.
"""

import copy
import statistics
import sys
import time

import torch
from torch.func import functional_call, grad, stack_module_state, vmap

from irem.models.mlp import EnergyMLP

torch.set_num_threads(1)
S, B, XD, YD, LAM, N = int(sys.argv[1]) if len(sys.argv) > 1 else 3, 128, 800, 400, 100.0, 5
torch.manual_seed(0)
models = [EnergyMLP(XD, YD, hidden=512) for _ in range(S)]
base = copy.deepcopy(models[0]).to("meta")


def energy(p, x, y):
    return functional_call(base, (p,), (x, y)).sum()


dE_dy = grad(energy, argnums=2)


def descend(p, x, y):  # the N - 1 steps not differentiated (truncation)
    for _ in range(N - 1):
        y = y - LAM * dE_dy(p, x, y)
    return y


def last_step_loss(p, x, y, t):
    y = y - LAM * dE_dy(p, x, y)
    return ((y - t) ** 2).mean()


loss_grad = grad(last_step_loss)


def separate_setup():
    ps = [{k: v.detach().clone().requires_grad_(True) for k, v in m.named_parameters()} for m in models]
    opts = [torch.optim.Adam(list(p.values()), lr=1e-4, foreach=True) for p in ps]
    return ps, opts


def separate_iter(ps, opts, xs, ys, ts):
    for i in range(S):
        p = {k: v.detach() for k, v in ps[i].items()}
        y = descend(p, xs[i], ys[i]).detach()
        g = loss_grad(p, xs[i], y, ts[i])
        for k, v in ps[i].items():
            v.grad = g[k]
        opts[i].step()


def stacked_setup():
    params, _ = stack_module_state(models)
    params = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    return params, torch.optim.Adam(list(params.values()), lr=1e-4, foreach=True)


def stacked_iter(params, opt, x, y, t):
    p = {k: v.detach() for k, v in params.items()}
    y = vmap(descend)(p, x, y).detach()
    g = vmap(loss_grad)(p, x, y, t)
    for k, v in params.items():
        v.grad = g[k]
    opt.step()


x, y0, t = torch.randn(S, B, XD), torch.randn(S, B, YD), torch.randn(S, B, YD)
sep, stk = separate_setup(), stacked_setup()
# same function: one iteration's parameter gradients agree between the two forms
p0 = {k: v.detach() for k, v in sep[0][0].items()}
g_sep = loss_grad(p0, x[0], descend(p0, x[0], y0[0]).detach(), t[0])
ps = {k: v.detach() for k, v in stk[0].items()}
g_stk = vmap(loss_grad)(ps, x, vmap(descend)(ps, x, y0).detach(), t)
err = max(((g_sep[k] - g_stk[k][0]).abs().max() / g_sep[k].abs().max()).item() for k in g_sep)
print(f"max relative difference of seed 0's gradients, separate vs stacked: {err:.2e}")

times = {"separate": [], "stacked": []}
for r in range(12):
    for name in ("separate", "stacked"):
        t0 = time.perf_counter()
        if name == "separate":
            separate_iter(*sep, x, y0, t)
        else:
            stacked_iter(*stk, x, y0, t)
        if r >= 2:
            times[name].append(1e3 * (time.perf_counter() - t0))
for name, ts in times.items():
    print(
        f"{name}: median {statistics.median(ts):.1f} ms per iteration of {S} seeds "
        f"({statistics.median(ts) / S:.1f} ms per seed), min {min(ts):.1f}"
    )
print(f"stacked / separate: {statistics.median(times['stacked']) / statistics.median(times['separate']):.3f}")
