"""Image denoising (App. A, Table 5, Fig. 8): importing it registers the experiment."""

from irem.experiments.denoising import experiment  # noqa: F401 (registers the experiment)
