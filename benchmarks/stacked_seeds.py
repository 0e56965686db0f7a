"""Does training S seeds of IREM addition in one process, parameters stacked (torch.func vmap), pay on this CPU?

A measurement, not a training path: ``irem`` trains one seed per process. Usage (one thread, as the sweeps run)::

    OMP_NUM_THREADS=1 python benchmarks/stacked_seeds.py 2 3 --json data/bench/stacked_seeds.json

Paper settings for the compute: batch 256 (128 fresh problems and 128 from the replay buffer), x 800, y 400,
hidden 512, N = 5 steps, lambda = 100, truncated backprop (only the last step differentiated), Adam. Data are
random tensors (the compute does not depend on them).
For each S, S separate models run one after another are compared with one vmap over their stacked parameters,
in interleaved rounds: median ms per iteration of all S seeds together. Both forms compute the same gradients
(checked on the first iteration).
"""

import argparse
import copy
import statistics
import sys
import time

import torch
from torch.func import functional_call, grad, stack_module_state, vmap

from irem.models.mlp import EnergyMLP
from irem.performance.bench import write_json

B, XD, YD, HIDDEN, LAM, N = 256, 800, 400, 512, 100.0, 5  # B: 128 fresh problems + 128 replayed


def iteration_fns(base: torch.nn.Module):
    """One training iteration of IREM for one seed's parameters: the N - 1 free steps, then the loss's gradient."""

    def energy(p, x, y):
        return functional_call(base, (p,), (x, y)).sum()

    d_energy_dy = grad(energy, argnums=2)

    def descend(p, x, y):  # the N - 1 steps not differentiated (truncation)
        for _ in range(N - 1):
            y = y - LAM * d_energy_dy(p, x, y)
        return y

    def last_step_loss(p, x, y, t):
        y = y - LAM * d_energy_dy(p, x, y)
        return ((y - t) ** 2).mean()

    return descend, grad(last_step_loss)


def measure(seeds: int, rounds: int = 12, warmup: int = 2) -> dict:
    """Median ms per iteration of ``seeds`` seeds, separate and stacked, and their gradients' largest difference."""
    torch.manual_seed(0)
    models = [EnergyMLP(XD, YD, hidden=HIDDEN) for _ in range(seeds)]
    descend, loss_grad = iteration_fns(copy.deepcopy(models[0]).to("meta"))
    x, y0, t = torch.randn(seeds, B, XD), torch.randn(seeds, B, YD), torch.randn(seeds, B, YD)

    separate = [{k: v.detach().clone().requires_grad_(True) for k, v in m.named_parameters()} for m in models]
    separate_opts = [torch.optim.Adam(list(p.values()), lr=1e-4, foreach=True) for p in separate]
    stacked = {k: v.detach().clone().requires_grad_(True) for k, v in stack_module_state(models)[0].items()}
    stacked_opt = torch.optim.Adam(list(stacked.values()), lr=1e-4, foreach=True)

    def separate_iteration() -> dict:  # returns seed 0's parameter gradients
        grads = []
        for i, (params, opt) in enumerate(zip(separate, separate_opts)):
            p = {k: v.detach() for k, v in params.items()}
            grads.append(loss_grad(p, x[i], descend(p, x[i], y0[i]).detach(), t[i]))
            for k, v in params.items():
                v.grad = grads[-1][k]
            opt.step()
        return grads[0]

    def stacked_iteration() -> dict:  # returns seed 0's parameter gradients
        p = {k: v.detach() for k, v in stacked.items()}
        g = vmap(loss_grad)(p, x, vmap(descend)(p, x, y0).detach(), t)
        for k, v in stacked.items():
            v.grad = g[k]
        stacked_opt.step()
        return {k: v[0] for k, v in g.items()}

    times: dict[str, list[float]] = {"separate": [], "stacked": []}
    for r in range(rounds):
        grads = {}
        for name, fn in (("separate", separate_iteration), ("stacked", stacked_iteration)):
            start = time.perf_counter()
            grads[name] = fn()
            if r >= warmup:
                times[name].append(1e3 * (time.perf_counter() - start))
        if r == 0:  # the same function: from the same parameters, the first iteration's gradients agree
            sep, stk = grads["separate"], grads["stacked"]
            diff = max(((sep[k] - stk[k]).abs().max() / sep[k].abs().max()).item() for k in sep)
    separate_ms, stacked_ms = (statistics.median(times[k]) for k in ("separate", "stacked"))
    return {"seeds": seeds, "separate_ms": separate_ms, "stacked_ms": stacked_ms,
            "stacked_over_separate": stacked_ms / separate_ms, "gradient_rel_diff": diff}  # fmt: skip


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", type=int, nargs="+", help="numbers of seeds S to stack")
    parser.add_argument("--rounds", type=int, default=12, help="interleaved rounds, the first 2 not timed")
    parser.add_argument("--json", help="also write the rows, with provenance, here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rows = []
    for s in args.seeds:
        row = measure(s, args.rounds)
        rows.append(row)
        ratio, diff = row["stacked_over_separate"], row["gradient_rel_diff"]
        print(f"S = {s}: separate {row['separate_ms']:.1f} ms, stacked {row['stacked_ms']:.1f} ms per iteration "
              f"of all seeds ({ratio:.3f}×); gradients agree to {diff:.1e}")  # fmt: skip
    if args.json:
        words = ["python benchmarks/stacked_seeds.py", *map(str, args.seeds), "--rounds", str(args.rounds)]
        command = " ".join([*words, "--json", args.json])
        settings = {"command": command, "rounds": args.rounds, "batch": B, "hidden": HIDDEN, "steps": N, "lambda": LAM}
        print(f"wrote {write_json(args.json, rows, torch.device('cpu'), settings)}")


if __name__ == "__main__":
    main(sys.argv[1:])
