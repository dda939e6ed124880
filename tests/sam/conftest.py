import pytest

from labkit.sam.generate import random_tensor


@pytest.fixture
def rand():
    """``rand(shape, density, seed)`` -> a pydata sparse tensor."""
    return random_tensor
