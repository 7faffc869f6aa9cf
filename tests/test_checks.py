"""Tests of nst_helpers.checks: every checker accepts right answers and rejects typical mistakes with the right hint."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import nst_helpers as nst
from nst_helpers import checks


def run(checker, fn, capsys, **kwargs):
    """Call a checker; return (verdict, printed text)."""
    verdict = checker(fn, **kwargs)
    return verdict, capsys.readouterr().out


# ----- learners' functions, right and wrong ------------------------------------------------------
def _b(f):
    f = tf.convert_to_tensor(f, tf.float32)
    return tf.reshape(f, (-1, f.shape[-1]))


def gram_numpy(f):  # an independent reference: numpy einsum, float64
    f = np.asarray(f, np.float64)
    return np.einsum("bijc,bijd->cd", f, f)


def gram_bbt(f):
    b = _b(f)
    return b @ tf.transpose(b)


def gram_scrambled(f):
    f = tf.convert_to_tensor(f)
    a = tf.reshape(f, (f.shape[-1], -1))
    return a @ tf.transpose(a)


def gram_channels_first(f):
    f = tf.convert_to_tensor(f)
    b = tf.reshape(f, (-1, f.shape[1]))
    return tf.transpose(b) @ b


def gram_batch_kept(f):
    return tf.einsum("bijc,bijd->bcd", f, f)


def gram_hw(f):
    b = _b(f)
    return tf.transpose(b) @ b / tf.cast(tf.shape(b)[0], tf.float32)


def gram_diagonal(f):
    b = _b(f)
    return tf.reduce_sum(b * b, axis=0)


def stub(*args):
    raise NotImplementedError("write your code here")


def deep_crash(f):
    h, w = f.shape[1], f.shape[2]
    return tf.reshape(f, (h, w, 7))  # wrong size: raises inside TensorFlow


# Independent references: the checkers' own reference is the package's function, so accepting these
# numpy/plain-TF versions is what proves the package function right (a self-comparison would prove nothing).
DIVISORS = {"none": lambda h, w, c: 1.0, "hw": lambda h, w, c: h * w, "chw": lambda h, w, c: c * h * w,
            "paper": lambda h, w, c: 2.0 * h * w}


def gram_numpy_norm(norm):
    def fn(f):
        f = np.asarray(f, np.float64)
        _, h, w, c = f.shape
        return np.einsum("bijc,bijd->cd", f, f) / DIVISORS[norm](h, w, c)
    return fn


class TestGram:
    def test_accepts_an_independent_tf_version(self, capsys):
        ok, out = run(checks.check_gram_matrix, lambda f: tf.einsum("bijc,bijd->cd", f, f), capsys)
        assert ok and "correct on all" in out

    @pytest.mark.parametrize("norm", ["hw", "chw", "paper"])
    def test_accepts_each_normalisation(self, norm, capsys):
        ok, out = run(checks.check_gram_matrix, gram_numpy_norm(norm), capsys, normalize=norm)
        assert ok, out

    def test_accepts_independent_numpy_version(self, capsys):
        ok, out = run(checks.check_gram_matrix, gram_numpy, capsys)
        assert ok and ("exact" in out or "close" in out)

    @pytest.mark.parametrize("fn, words", [
        (gram_bbt, "B B^T"),
        (gram_scrambled, "scrambles"),
        (gram_channels_first, "channels-first"),
        (gram_batch_kept, "batch axis"),
        (gram_hw, "normalisation"),
        (gram_diagonal, "diagonal"),
    ])
    def test_rejects_typical_mistakes(self, fn, words, capsys):
        ok, out = run(checks.check_gram_matrix, fn, capsys)
        assert not ok
        assert "❌" in out and words in out

    def test_missing_normalisation_is_named(self, capsys):
        ok, out = run(checks.check_gram_matrix, nst.losses.gram_matrix, capsys, normalize="hw")
        assert not ok and "not normalised" in out and "normalize='hw'" in out

    def test_slightly_wrong_values_are_not_close(self, capsys):
        ok, out = run(checks.check_gram_matrix, lambda f: 1.01 * nst.losses.gram_matrix(f), capsys)
        assert not ok and "max abs difference" in out

    def test_unknown_normalisation_is_a_clear_error(self):
        with pytest.raises(ValueError, match="normalize"):
            checks.check_gram_matrix(gram_numpy, normalize="l2")


class TestCrashes:
    def test_stub_says_not_implemented(self, capsys):
        ok, out = run(checks.check_gram_matrix, stub, capsys)
        assert not ok and "not implemented yet" in out
        assert "Traceback" not in out and len(out.splitlines()) <= 3

    def test_crash_is_short_and_names_the_line(self, capsys):
        ok, out = run(checks.check_gram_matrix, deep_crash, capsys)
        assert not ok
        assert "InvalidArgumentError" in out and "tf.reshape(f, (h, w, 7))" in out
        assert "Traceback" not in out and len(out.splitlines()) <= 4

    def test_forgotten_return(self, capsys):
        ok, out = run(checks.check_content_loss, lambda a, b: None, capsys)
        assert not ok and "return" in out

    def test_numpy_input_crash_gets_a_conversion_hint(self, capsys):
        ok, out = run(checks.check_total_variation_loss, lambda x: x.get_shape() and 0.0, capsys)
        assert not ok and "numpy array" in out and "convert" in out

    def test_not_a_function(self, capsys):
        ok, out = run(checks.check_content_loss, 3.0, capsys)
        assert not ok and "your function itself" in out

    def test_unreadable_result(self, capsys):
        ok, out = run(checks.check_content_loss, lambda a, b: "small", capsys)
        assert not ok and "could not read" in out


class TestContentLoss:
    def test_accepts_an_independent_version(self, capsys):
        ok, out = run(checks.check_content_loss, lambda a, b: np.mean(np.square(np.asarray(a, np.float64) - b)), capsys)
        assert ok, out

    def test_accepts_numpy_and_shape_1_scalar(self, capsys):
        ok, _ = run(checks.check_content_loss,
                    lambda a, b: np.mean((np.asarray(a) - b) ** 2, keepdims=True)[0, 0, 0], capsys)
        assert ok

    @pytest.mark.parametrize("fn, words", [
        (lambda a, b: tf.reduce_sum(tf.square(a - b)), "summed"),
        (lambda a, b: tf.reduce_mean(tf.abs(a - b)), "absolute"),
        (lambda a, b: 0.5 * tf.reduce_sum(tf.square(a - b)), "1/2"),
        (lambda a, b: tf.sqrt(tf.reduce_mean(tf.square(a - b))), "square root"),
        (lambda a, b: tf.reduce_mean(a - b), "without squaring"),
        (lambda a, b: tf.square(a - b), "one number"),
    ])
    def test_rejects_typical_mistakes(self, fn, words, capsys):
        ok, out = run(checks.check_content_loss, fn, capsys)
        assert not ok and words in out


def style_fn(norm="none", gram_norm=None, reduce=tf.reduce_mean):
    def fn(features, target):
        gram = nst.losses.gram_matrix(features, normalize=gram_norm or norm)
        return reduce(tf.square(gram - target))
    return fn


class TestStyleLoss:
    @pytest.mark.parametrize("norm", ["none", "hw", "chw"])
    def test_accepts_an_independent_version(self, norm, capsys):
        def fn(features, target):
            return np.mean(np.square(gram_numpy_norm(norm)(features) - np.asarray(target, np.float64)))
        ok, out = run(checks.check_style_loss, fn, capsys, normalize=norm)
        assert ok, out

    @pytest.mark.parametrize("fn, words", [
        (style_fn(gram_norm="hw"), "Gram normalisation"),
        (style_fn(reduce=tf.reduce_sum), "summed"),
        (lambda f, t: tf.reduce_mean(tf.abs(nst.losses.gram_matrix(f) - t)), "absolute"),
        (lambda f, t: tf.reduce_mean(tf.square(nst.losses.gram_matrix(f) - nst.losses.gram_matrix(t))),
         "already is a Gram"),
        (lambda f, t: tf.reduce_mean(tf.square(gram_scrambled(f) - t)), "scrambles"),
    ])
    def test_rejects_typical_mistakes(self, fn, words, capsys):
        ok, out = run(checks.check_style_loss, fn, capsys)
        assert not ok and words in out

    def test_comparing_features_with_the_gram_crashes_readably(self, capsys):
        ok, out = run(checks.check_style_loss, lambda f, t: tf.reduce_mean(tf.square(f - t)), capsys)
        assert not ok and "Incompatible shapes" in out and "Traceback" not in out


def tv(dy=True, dx=True, op=tf.abs, reduce=tf.reduce_mean):
    def fn(image):
        x = tf.convert_to_tensor(image)
        total = 0.0
        if dy:
            total += reduce(op(x[:, 1:] - x[:, :-1]))
        if dx:
            total += reduce(op(x[:, :, 1:] - x[:, :, :-1]))
        return total
    return fn


class TestTotalVariation:
    def test_accepts_a_numpy_version(self, capsys):
        def fn(image):
            x = np.asarray(image, np.float64)
            return np.abs(np.diff(x, axis=1)).mean() + np.abs(np.diff(x, axis=2)).mean()
        ok, out = run(checks.check_total_variation_loss, fn, capsys)
        assert ok, out

    def test_accepts_independent_version(self, capsys):
        ok, _ = run(checks.check_total_variation_loss, tv(), capsys)
        assert ok

    @pytest.mark.parametrize("fn, words", [
        (tv(dx=False), "direction is missing"),
        (tv(dy=False), "direction is missing"),
        (tv(op=tf.square), "squared"),
        (tv(reduce=tf.reduce_sum), "summed"),
        (tv(op=lambda d: d), "absolute value"),
        (lambda x: (tf.reduce_mean(tf.abs(x[:, :, 1:] - x[:, :, :-1]))
                    + tf.reduce_mean(tf.abs(x[..., 1:] - x[..., :-1]))),
         "channels-first"),
    ])
    def test_rejects_typical_mistakes(self, fn, words, capsys):
        ok, out = run(checks.check_total_variation_loss, fn, capsys)
        assert not ok and words in out

    def test_tf_image_total_variation_is_named_as_a_sum(self, capsys):
        ok, out = run(checks.check_total_variation_loss,
                      lambda x: tf.image.total_variation(tf.convert_to_tensor(x)), capsys)
        assert not ok and "tf.image.total_variation" in out


# ----- the feature extractor ---------------------------------------------------------------------
def extractor(prep=nst.model.preprocess, order=lambda names: names, rename=lambda n: n):
    def fn(vgg, layer_names):
        names = [rename(n) for n in order(list(layer_names))]
        model = keras.Model(vgg.input, [vgg.get_layer(n).output for n in names])
        return lambda image: model(prep(tf.convert_to_tensor(image, tf.float32)))
    return fn


def next_conv(name):
    return name[:-1] + str(int(name[-1]) + 1)


class TestFeatureExtractor:
    def test_accepts_a_correct_extractor(self, capsys):
        ok, out = run(checks.check_feature_extractor, extractor(), capsys)
        assert ok, out

    def test_accepts_an_extractor_with_its_own_numpy_preprocessing(self, capsys):
        def numpy_prep(image):
            return np.asarray(image, np.float32)[..., ::-1] - MEANS_BGR  # BGR minus the ImageNet means
        ok, out = run(checks.check_feature_extractor, extractor(prep=numpy_prep), capsys)
        assert ok, out

    @pytest.mark.parametrize("fn, words", [
        (extractor(prep=lambda x: x), "raw RGB"),
        (extractor(prep=lambda x: x - np.array([123.68, 116.779, 103.939], np.float32)), "BGR"),
        (extractor(prep=lambda x: nst.model.preprocess(x / 255.0)), "255"),
        (extractor(order=sorted), "order of layer_names"),
        (extractor(rename=next_conv), "wrong layer"),
    ])
    def test_rejects_typical_mistakes(self, fn, words, capsys):
        ok, out = run(checks.check_feature_extractor, fn, capsys)
        assert not ok and words in out

    def test_rejects_random_weights(self, capsys):
        def fn(vgg, layer_names):
            fresh = nst.model.build_vgg("vgg16")
            model = keras.Model(fresh.input, [fresh.get_layer(n).output for n in layer_names])
            return lambda image: model(nst.model.preprocess(image))
        ok, out = run(checks.check_feature_extractor, fn, capsys)
        assert not ok and "values differ" in out

    def test_dict_and_stub(self, capsys):
        ok, out = run(checks.check_feature_extractor,
                      lambda vgg, names: (lambda image: {n: image for n in names}), capsys)
        assert not ok and "dict" in out
        ok, out = run(checks.check_feature_extractor, stub, capsys)
        assert not ok and "not implemented" in out

    def test_load_vgg_has_trained_named_layers(self):
        vgg = checks.load_vgg()
        assert vgg.get_layer("block3_conv1").output.shape[-1] == 256
        _, arrays = nst.model.resolve_weights("auto")
        np.testing.assert_array_equal(vgg.get_layer("block1_conv1").get_weights()[0], arrays["block1_conv1"][0])


def test_crash_inside_tf_function_names_the_learners_line(capsys):
    @tf.function
    def graph_gram(f):
        return tf.matmul(f, f)  # batched (1, H, W, C) @ (1, H, W, C): shapes do not fit

    ok, out = run(checks.check_gram_matrix, graph_gram, capsys)
    assert not ok and "Dimensions must be equal" in out and "tf.matmul(f, f)" in out
    assert "in user code" not in out and len(out.splitlines()) <= 4


# ----- check_seed_step ------------------------------------------------------------------------------
def test_seed_step_accepts_an_independent_numpy_update(capsys):
    def numpy_step(image, grad, step_size):
        g = np.asarray(grad, np.float64)
        return np.clip(np.asarray(image) - step_size / (g.std() + 1e-8) * g, 0, 255)

    assert checks.check_seed_step(numpy_step)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda x, g, s: np.asarray(x) - s / (np.std(g) + 1e-8) * np.asarray(g), "forgot to clip"),
        (lambda x, g, s: np.clip(np.asarray(x) + s / (np.std(g) + 1e-8) * np.asarray(g), 0, 255), "up the gradient"),
        (lambda x, g, s: np.clip(np.asarray(x) - s / (np.abs(g).max() + 1e-8) * np.asarray(g), 0, 255), "max|grad|"),
        (lambda x, g, s: np.clip(np.asarray(x) - s * np.sign(g), 0, 255), "sign of the gradient"),
    ],
    ids=["no-clip", "ascent", "max-instead-of-std", "sign"],
)
def test_seed_step_rejects_typical_mistakes_with_a_hint(capsys, wrong, words):
    assert not checks.check_seed_step(wrong)
    assert words in capsys.readouterr().out


# ----- the capstone: a whole transfer loop ------------------------------------------------------
CONV = nst.layers.conv_layers("vgg16")
MEANS_BGR = np.array([103.939, 116.779, 123.68], np.float32)


@pytest.fixture(scope="module")
def vgg_all():
    """The 13 convolutions of the trained VGG16 the package resolves, fed preprocessed input."""
    vgg = checks.load_vgg()
    return keras.Model(vgg.input, [vgg.get_layer(n).output for n in CONV])


def seed_loop(vgg_all, *, sign=1.0, adaptive=True, content_layer="block3_conv1", gram_divisor=lambda hw, c: 1.0,
              preprocess=True, targets="fixed", return_init=False, adam=None):
    """An independent port of the blog's transfer(): own preprocessing, Gram, losses and step in plain TF.

    Each keyword makes one typical mistake."""

    def features(x):
        x = tf.convert_to_tensor(x, tf.float32)
        if preprocess:
            x = x[..., ::-1] - MEANS_BGR
        return dict(zip(CONV, vgg_all(x), strict=True))

    def gram(a):
        _, h, w, c = a.shape
        b = tf.reshape(a, (h * w, c))
        return tf.einsum("pi,pj->ij", b, b) / gram_divisor(h * w, c)

    def targets_of(content, style):
        return features(content)[content_layer], [gram(f) for k, f in features(style).items()]

    def loop(content, style, init, steps):
        x = tf.Variable(init)
        c_target, s_targets = targets_of(content, style)
        optimizer = keras.optimizers.Adam(learning_rate=5.0)
        for _ in range(steps):
            if targets == "from image":
                c_target, s_targets = targets_of(x, x)
            with tf.GradientTape() as tape:
                f = features(x)
                lc = tf.reduce_mean(tf.square(f[content_layer] - c_target))
                ls = tf.add_n([tf.reduce_mean(tf.square(gram(f[k]) - t))
                               for k, t in zip(CONV, s_targets, strict=True)]) / len(CONV)
                ld = (tf.reduce_mean(tf.abs(x[:, 1:] - x[:, :-1])) + tf.reduce_mean(tf.abs(x[:, :, 1:] - x[:, :, :-1])))
                if adaptive:
                    lc, ls, ld = (loss / tf.stop_gradient(loss + 1e-10) for loss in (lc, ls, ld))
                total = 2.0 * lc + 9.0 * ls + 0.4 * ld
            g = tape.gradient(total, x)
            if adam is None:
                x.assign(tf.clip_by_value(x - sign * 10.0 / (tf.math.reduce_std(g) + 1e-8) * g, 0.0, 255.0))
                continue
            if adam == "new each step":
                optimizer = keras.optimizers.Adam(learning_rate=5.0)
            optimizer.apply_gradients([(sign * g, x)])
            x.assign(tf.clip_by_value(x, 0.0, 255.0))
        return init if return_init else x

    return loop


class TestTransferLoop:
    def test_accepts_an_independent_port(self, vgg_all, capsys):
        ok, out = run(checks.check_transfer_loop, seed_loop(vgg_all), capsys)
        assert ok, out
        assert "same images" in out

    def test_accepts_numpy_unbatched_result(self, vgg_all, capsys):
        loop = seed_loop(vgg_all)
        ok, out = run(checks.check_transfer_loop, lambda *a: np.asarray(loop(*a))[0], capsys)
        assert ok, out

    @pytest.mark.parametrize("mistake, words", [
        (dict(sign=-1.0), "up the gradient"),
        (dict(adaptive=False), "1/loss weights"),
        (dict(content_layer="block4_conv2"), "conv4_2"),
        (dict(gram_divisor=lambda hw, c: hw), "divided by H*W"),
        (dict(preprocess=False), "raw RGB"),
        (dict(targets="from image"), "before the loop"),
        (dict(return_init=True), "start image unchanged"),
    ])
    def test_rejects_typical_wrong_loops_with_the_right_hint(self, vgg_all, mistake, words, capsys):
        ok, out = run(checks.check_transfer_loop, seed_loop(vgg_all, **mistake), capsys)
        assert not ok
        assert words in out, out

    def test_stub_and_bad_results(self, capsys):
        ok, out = run(checks.check_transfer_loop, stub, capsys)
        assert not ok and "not implemented" in out
        ok, out = run(checks.check_transfer_loop, lambda c, s, i, n: i[0, :8], capsys)
        assert not ok and "shape" in out

    @pytest.mark.parametrize("optimizer", ["seed", "adam"])
    def test_the_hint_machinery_without_a_mistake_is_the_reference(self, optimizer):
        run_ = checks._loop_run(checks.LOOP_SIZE, optimizer)
        for _, init, steps in run_.starts():
            assert np.max(np.abs(run_._loop(init, steps) - run_.reference(init, steps))) <= 1e-3


# ----- checked tweak experiments: the do-nothing answer fails, a known-good answer passes ---------------------
class TestTweaks:
    def test_style_layers(self, capsys):
        ok, out = run(checks.check_style_layers_choice, nst.TransferConfig.default().style_layers, capsys)
        assert not ok and "leave out the deep layers" in out
        ok, out = run(checks.check_style_layers_choice, ("conv1_1", "conv2_1"), capsys)
        assert ok, out
        ok, out = run(checks.check_style_layers_choice, ("conv4_1", "conv5_1"), capsys)
        assert not ok and "include the shallow layers" in out

    def test_weight_change(self, capsys):
        ok, out = run(checks.check_weight_change, nst.TransferConfig.default(), capsys)
        assert not ok and "changed: nothing" in out
        ok, out = run(checks.check_weight_change,
                      nst.TransferConfig.default(content_weight=100.0, tv_weight=2.0), capsys)
        assert not ok and "exactly one" in out
        ok, out = run(checks.check_weight_change, nst.TransferConfig.default(content_weight=100.0), capsys)
        assert ok, out
        ok, out = run(checks.check_weight_change, nst.TransferConfig.default(content_weight=300.0), capsys)
        assert not ok and "barely stylised" in out

    def test_bigger_strokes(self, capsys):
        ok, out = run(checks.check_bigger_strokes, nst.TransferConfig.default(), capsys)
        assert not ok and "did not grow" in out
        ok, out = run(checks.check_bigger_strokes, nst.TransferConfig.default(style_scale=2.0), capsys)
        assert ok, out

    def test_stroke_width_grows_with_the_size_of_the_marks(self):
        # the same random marks drawn 2, 4 and 8 px wide (nearest-neighbour upsampling) on a 128 px image
        rng = np.random.default_rng(0)
        widths = []
        for block in (2, 4, 8):
            marks = rng.uniform(0, 255, (128 // block, 128 // block, 1)).astype(np.float32)
            image = np.repeat(np.repeat(np.repeat(marks, block, 0), block, 1), 3, 2)
            widths.append(checks.stroke_width(image))
        assert widths[0] < widths[1] < widths[2], widths
        flat = np.full((128, 128, 3), 100.0, np.float32)
        flat[::2] = 140.0  # one-pixel stripes: the narrowest strokes there are
        assert checks.stroke_width(flat) < widths[0]

    def test_init_choice(self, capsys):
        ok, out = run(checks.check_init_choice, nst.TransferConfig.seed_recipe(), capsys)
        assert not ok and "init='content'" in out
        ok, out = run(checks.check_init_choice, nst.TransferConfig.seed_recipe(init="content"), capsys)
        assert ok, out

    def test_not_a_config(self, capsys):
        ok, out = run(checks.check_bigger_strokes, {"style_scale": 2}, capsys)
        assert not ok and "TransferConfig" in out


class TestAdamLoop:
    def test_accepts_an_independent_port(self, vgg_all, capsys):
        ok, out = run(checks.check_adam_loop, seed_loop(vgg_all, adam="once"), capsys)
        assert ok, out

    @pytest.mark.parametrize("mistake, words", [
        (dict(adam="new each step"), "new Adam optimiser inside the loop"),
        (dict(adam="once", sign=-1.0), "up the gradient"),
        (dict(adam=None), "seed's 10/std(grad) step"),
    ])
    def test_rejects_typical_wrong_loops_with_the_right_hint(self, vgg_all, mistake, words, capsys):
        ok, out = run(checks.check_adam_loop, seed_loop(vgg_all, **mistake), capsys)
        assert not ok and words in out, out


class TestPreprocess:
    MEANS = np.array([103.939, 116.779, 123.68], np.float32)

    def test_a_correct_port_passes(self, capsys):
        ok, out = run(checks.check_preprocess, lambda image: image[..., ::-1] - self.MEANS, capsys)
        assert ok, out

    def test_keras_preprocess_input_passes_only_on_a_copy(self, capsys):
        from keras.applications import vgg16

        ok, out = run(checks.check_preprocess, vgg16.preprocess_input, capsys)  # writes into numpy input
        assert not ok and "changed its input" in out
        ok, out = run(checks.check_preprocess, lambda image: vgg16.preprocess_input(image.copy()), capsys)
        assert ok, out

    @pytest.mark.parametrize("wrong, hint", [
        (lambda x: x - np.array([103.939, 116.779, 123.68], np.float32), "kept RGB order"),
        (lambda x: x[..., ::-1], "did not subtract"),
        (lambda x: x[..., ::-1] - np.array([123.68, 116.779, 103.939], np.float32), "in RGB order"),
        (lambda x: x[..., ::-1] / 255.0 - np.array([103.939, 116.779, 123.68], np.float32), "divided by 255"),
        (lambda x: x[..., ::-1] + np.array([103.939, 116.779, 123.68], np.float32), "added the means"),
    ])
    def test_typical_mistakes_fail_with_their_hint(self, wrong, hint, capsys):
        ok, out = run(checks.check_preprocess, wrong, capsys)
        assert not ok and hint in out, out

    def test_in_place_subtraction_is_caught(self, capsys):
        def in_place(image):
            image -= 0.0  # a no-op write still leaves the values: what counts is a change
            image[..., 0] -= 1.0
            return image[..., ::-1] - self.MEANS

        ok, out = run(checks.check_preprocess, in_place, capsys)
        assert not ok and "changed its input" in out

    def test_not_implemented_and_not_callable(self, capsys):
        def stub(image):
            raise NotImplementedError("flip, then subtract")

        ok, out = run(checks.check_preprocess, stub, capsys)
        assert not ok and "not implemented" in out
        ok, out = run(checks.check_preprocess, 42, capsys)
        assert not ok


class TestShapePrediction:
    def test_right_wrong_and_missing(self, capsys):
        assert checks.check_shape_prediction((135, 200, 3), (135, 200, 3))
        assert "right" in capsys.readouterr().out
        assert checks.check_shape_prediction([135, 200, 3], np.zeros((135, 200, 3)).shape)  # a list is fine
        capsys.readouterr()
        assert not checks.check_shape_prediction((200, 135, 3), (135, 200, 3))  # (width, height): the usual slip
        out = capsys.readouterr().out
        assert "(200, 135, 3)" in out and "(height, width, channels)" in out
        assert not checks.check_shape_prediction(None, (135, 200, 3))
        assert "no prediction yet" in capsys.readouterr().out
        assert not checks.check_shape_prediction("tall", (135, 200, 3))

    def test_vietnamese(self, capsys):
        checks.set_language("vi")
        try:
            assert not checks.check_shape_prediction(None, (1, 2, 3))
            assert "chưa có dự đoán" in capsys.readouterr().out
        finally:
            checks.set_language(None)
