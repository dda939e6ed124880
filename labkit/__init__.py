"""labkit: rerun, check and extend five pieces of published systems research.

Areas live in subpackages (``labkit.scheduler``, ``labkit.sam``, ``labkit.smm``,
``labkit.siommu``); shared tooling (data locator, notebook runner, scorecard, sweeps,
charts) lives in ``labkit.lab``. Importing ``labkit`` is cheap: heavy dependencies
(numba, dask, papermill) load only when a module that needs them is imported.
"""

from labkit.lab.errors import InputError, RunFailed

__version__ = "0.1.0"
__all__ = ["InputError", "RunFailed", "__version__"]
