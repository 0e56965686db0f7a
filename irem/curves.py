"""The names of the curves every run record can hold (``Record.curves``), declared once.

Writers (training, ``irem.evaluate``) and readers (the book's tables and figures) use these
names; a chapter declares the names of its own curves in its ``experiment.py``.
"""

TRAIN_LOSS = "train_loss"  # [[iteration, mean training loss], ...]
MSE_BY_STEP = "mse_by_step"  # split -> test error after each reasoning step (index 0: the start)
ENERGY_BY_STEP = "energy_by_step"  # split -> mean energy after each reasoning step (energy-based methods)
ENERGY_LANDSCAPE = "energy_landscape"  # split -> {"mse": [...], "energy": [...]}: energy against distance (Fig. 5)
TUNING = "tuning"  # split -> {"step_size": [...], "mse": [...], "smooth": [0/1 ...]}: validation, "tuned" step size
