"""Fixtures shared by the unit tests: small real images and the real offline weights."""

import os

import numpy as np
import pytest

# Tests judge style transfer on real trained weights: the offline VGG16 (no download attempt).
os.environ.setdefault("NST_WEIGHTS", "offline-hed-vgg16")

import nst_helpers as nst  # noqa: E402


@pytest.fixture(scope="session")
def content64() -> np.ndarray:
    return nst.images.load_image(nst.images.data_path("content"), max_size=64)


@pytest.fixture(scope="session")
def style64() -> np.ndarray:
    return nst.images.load_image(nst.images.data_path("style"), max_size=64)


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
