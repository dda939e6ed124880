import pytest

from labkit.lab import find_data


@pytest.fixture(scope="session")
def hipileup():
    from labkit.scheduler.hep.config import load

    path = find_data("cms/reco_hipileup_5_2_0_busywait_perfectIO.config")
    if path is None:
        pytest.skip("CMS data not available")
    return load(path)
