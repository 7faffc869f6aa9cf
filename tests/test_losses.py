"""Losses against independent references: numpy einsum, tf.image.total_variation, finite differences."""

import numpy as np
import pytest
import tensorflow as tf

from nst_helpers import losses as L
from nst_helpers.errors import ConfigError


def _features(rng, h=5, w=4, c=3):
    return rng.normal(size=(1, h, w, c)).astype(np.float32)


def test_gram_of_the_seed_example_shape():
    a = np.arange(225, dtype=np.float32).reshape(1, 5, 5, 9)
    g = L.gram_matrix(a)
    b = a.reshape(25, 9)
    assert g.shape == (9, 9)
    np.testing.assert_allclose(g.numpy(), b.T @ b, rtol=1e-6)


@pytest.mark.parametrize("norm, divisor", [("none", lambda h, w, c: 1), ("hw", lambda h, w, c: h * w),
                                           ("chw", lambda h, w, c: c * h * w), ("paper", lambda h, w, c: 2 * h * w)])
def test_gram_matches_einsum(rng, norm, divisor):
    f = _features(rng, 6, 7, 5)
    expected = np.einsum("bhwi,bhwj->ij", f, f) / divisor(6, 7, 5)
    np.testing.assert_allclose(L.gram_matrix(f, normalize=norm).numpy(), expected, rtol=1e-5)
    # batch-free input gives the same answer
    np.testing.assert_allclose(L.gram_matrix(f[0], normalize=norm).numpy(), expected, rtol=1e-5)


def test_gram_is_symmetric_psd(rng):
    g = L.gram_matrix(_features(rng, 8, 8, 6)).numpy()
    np.testing.assert_allclose(g, g.T, rtol=1e-6)
    assert np.linalg.eigvalsh(g.astype(np.float64)).min() > -1e-3


def test_paper_normalisation_equals_gatys_formula(rng):
    f, t = _features(rng, 4, 6, 3), _features(rng, 4, 6, 3)
    n, m = 3, 24
    g, a = (np.einsum("bhwi,bhwj->ij", x, x) for x in (f, t))
    gatys = ((g - a) ** 2).sum() / (4 * n**2 * m**2)
    ours = L.mse(L.gram_matrix(f, normalize="paper"), L.gram_matrix(t, normalize="paper"))
    np.testing.assert_allclose(float(ours), gatys, rtol=1e-5)


def test_unknown_normalisation():
    with pytest.raises(ConfigError, match="hw"):
        L.gram_matrix(tf.ones((1, 2, 2, 2)), normalize="bogus")


def test_content_loss_is_mean_of_per_layer_mse(rng):
    f = {"a": _features(rng), "b": _features(rng, 2, 2, 8)}
    t = {"a": _features(rng), "b": _features(rng, 2, 2, 8)}
    expected = np.mean([np.mean((f[k] - t[k]) ** 2) for k in "ab"])
    np.testing.assert_allclose(float(L.content_loss(f, t)), expected, rtol=1e-6)


def test_style_loss_default_is_mean_over_layers_and_weights_apply(rng):
    grams = {k: rng.normal(size=(4, 4)).astype(np.float32) for k in "abc"}
    targets = {k: rng.normal(size=(4, 4)).astype(np.float32) for k in "abc"}
    per_layer = np.array([np.mean((grams[k] - targets[k]) ** 2) for k in "abc"])
    np.testing.assert_allclose(float(L.style_loss(grams, targets)), per_layer.mean(), rtol=1e-6)
    weighted = float(L.style_loss(grams, targets, [1.0, 0.0, 2.0]))
    np.testing.assert_allclose(weighted, per_layer[0] + 2 * per_layer[2], rtol=1e-6)


def test_tv_l1_mean_is_the_seed_formula(rng):
    img = rng.uniform(0, 255, size=(1, 7, 9, 3)).astype(np.float32)
    seed = np.mean(np.abs(img[:, 1:] - img[:, :-1])) + np.mean(np.abs(img[:, :, 1:] - img[:, :, :-1]))
    np.testing.assert_allclose(float(L.total_variation_loss(img)), seed, rtol=1e-6)


def test_tv_l1_sum_matches_tf_image_total_variation(rng):
    img = rng.uniform(0, 255, size=(1, 7, 9, 3)).astype(np.float32)
    np.testing.assert_allclose(float(L.total_variation_loss(img, kind="l1_sum")),
                               float(tf.image.total_variation(tf.constant(img[0]))), rtol=1e-5)


def test_tv_l2_and_flat_image(rng):
    img = rng.uniform(0, 255, size=(6, 5, 3)).astype(np.float32)
    expected = np.mean((img[1:] - img[:-1]) ** 2) + np.mean((img[:, 1:] - img[:, :-1]) ** 2)
    np.testing.assert_allclose(float(L.total_variation_loss(img, kind="l2_mean")), expected, rtol=1e-5)
    assert float(L.total_variation_loss(np.full((4, 4, 3), 7.0, np.float32))) == 0.0
    with pytest.raises(ConfigError):
        L.total_variation_loss(img, kind="l3")


def _finite_difference_check(fn, x, n_probe=8, eps=1e-2, seed=0):
    """Tape gradient vs central differences (float32; eps large enough to beat rounding)."""
    x = tf.constant(x.astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = fn(x)
    grad = tape.gradient(value, x).numpy().ravel()
    flat = x.numpy().ravel()
    for i in np.random.default_rng(seed).choice(flat.size, n_probe, replace=False):
        up, down = flat.copy(), flat.copy()
        up[i] += eps
        down[i] -= eps
        numeric = (float(fn(up.reshape(x.shape))) - float(fn(down.reshape(x.shape)))) / (2 * eps)
        np.testing.assert_allclose(grad[i], numeric, rtol=2e-2, atol=2e-3)


def test_gradients_match_finite_differences(rng):
    target = rng.normal(size=(1, 4, 4, 3)).astype(np.float32)
    target_gram = L.gram_matrix(target)
    x = rng.normal(size=(1, 4, 4, 3)).astype(np.float32)
    _finite_difference_check(lambda v: L.content_loss({"a": v}, {"a": target}), x)
    target_hw = L.gram_matrix(target, normalize="hw")
    _finite_difference_check(lambda v: L.mse(L.gram_matrix(v, normalize="hw"), target_hw), x)
    _finite_difference_check(lambda v: L.style_loss({"a": L.gram_matrix(v)}, {"a": target_gram}), x)
    _finite_difference_check(lambda v: L.total_variation_loss(v, kind="l2_mean"), x)
    # L1 has kinks where neighbours are equal; random normal data keeps us away from them
    _finite_difference_check(lambda v: L.total_variation_loss(v, kind="l1_mean"), x, eps=1e-3)


def test_finite_difference_check_catches_a_wrong_gradient(rng):
    """The checker itself must fail on a loss whose gradient is wrong (stop_gradient on half of it)."""
    x = rng.normal(size=(1, 4, 4, 3)).astype(np.float32)
    def half_stopped(v):
        v = tf.cast(v, tf.float32)
        return tf.reduce_sum(v * tf.stop_gradient(v))

    with pytest.raises(AssertionError):
        _finite_difference_check(half_stopped, x)


def test_adaptive_weights_are_inverse_losses_and_constant_for_gradients():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        losses = {"a": x * x, "b": 2.0 * x}
        total = L.weighted_total(losses, {"a": 2.0, "b": 0.5}, adaptive=True)
    # value: each term is w * L / L = w
    np.testing.assert_allclose(float(total), 2.5, rtol=1e-6)
    # gradient: sum_k w_k * L_k' / L_k = 2 * (2x / x^2) + 0.5 * (2 / 2x)
    np.testing.assert_allclose(float(tape.gradient(total, x)), 2 * 2 / 3.0 + 0.5 / 3.0, rtol=1e-6)
    w = L.adaptive_weights({"a": tf.constant(4.0)})
    np.testing.assert_allclose(float(w["a"]), 0.25, rtol=1e-6)


def test_weighted_total_drops_zero_weights():
    losses = {"content": tf.constant(2.0), "style": tf.constant(np.nan, tf.float32)}
    assert float(L.weighted_total(losses, {"content": 3.0, "style": 0.0})) == 6.0


def test_style_loss_needs_one_weight_per_layer(rng):
    grams = {k: rng.normal(size=(2, 2)).astype(np.float32) for k in "ab"}
    with pytest.raises(ConfigError):
        L.style_loss(grams, grams, [1.0])
    assert float(L.style_loss(grams, grams, [1.0, 2.0])) == 0.0


@pytest.mark.parametrize("norm", ["none", "hw", "chw", "paper"])
def test_guided_gram_is_the_masked_weighted_average(rng, norm):
    f = rng.normal(size=(1, 5, 6, 4)).astype(np.float32)
    m = rng.uniform(0, 1, (5, 6)).astype(np.float32)
    m[:, :2] = 0.0
    b, w2 = f.reshape(30, 4), (m**2).ravel()
    mean_outer = np.einsum("p,pi,pj->ij", w2, b, b) / w2.sum()  # weighted mean of f f^T over the region
    scale = {"none": 30.0, "hw": 1.0, "chw": 1.0 / 4, "paper": 0.5}[norm]
    np.testing.assert_allclose(L.guided_gram(f, m, normalize=norm).numpy(), mean_outer * scale, rtol=1e-4, atol=1e-5)
    # batch-free features give the same answer
    np.testing.assert_allclose(L.guided_gram(f[0], m, normalize=norm).numpy(), mean_outer * scale, rtol=1e-4, atol=1e-5)
    # an all-ones mask gives the ordinary Gram matrix
    np.testing.assert_allclose(
        L.guided_gram(f, np.ones((5, 6)), normalize=norm).numpy(), L.gram_matrix(f, normalize=norm).numpy(), rtol=1e-5
    )


def test_guided_gram_default_normalisation_is_hw(rng):
    f = rng.normal(size=(1, 3, 4, 2)).astype(np.float32)
    m = rng.uniform(0.2, 1, (3, 4)).astype(np.float32)
    np.testing.assert_allclose(L.guided_gram(f, m).numpy(), L.guided_gram(f, m, normalize="hw").numpy())
    assert not np.allclose(L.guided_gram(f, m).numpy(), L.guided_gram(f, m, normalize="none").numpy())


def test_default_normalisations(rng):
    f = rng.normal(size=(1, 3, 4, 2)).astype(np.float32)
    np.testing.assert_allclose(L.gram_matrix(f).numpy(), L.gram_matrix(f, normalize="none").numpy())
    img = rng.uniform(0, 255, (4, 4, 3)).astype(np.float32)
    assert float(L.total_variation_loss(img)) == float(L.total_variation_loss(img, kind="l1_mean"))


def test_losses_use_the_config_option_tables():
    from nst_helpers import config

    assert L.GRAM_NORMS is config.GRAM_NORMS and L.TV_KINDS is config.TV_KINDS
    for norm in config.GRAM_NORMS:
        L.gram_matrix(tf.ones((1, 2, 2, 2)), normalize=norm)
    for kind in config.TV_KINDS:
        L.total_variation_loss(tf.ones((1, 2, 2, 3)), kind=kind)


def test_adaptive_weight_of_a_zero_loss_is_large_and_positive():
    """A loss that reached 0 (a perfect reconstruction) must not flip its pull or divide by zero."""
    w = float(L.adaptive_weights({"a": tf.constant(0.0)})["a"])
    assert np.isfinite(w) and w >= 1e9
    np.testing.assert_allclose(float(L.adaptive_weights({"a": tf.constant(0.0)}, eps=0.5)["a"]), 2.0)
