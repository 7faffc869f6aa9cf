"""The checkers speak Vietnamese: nst_helpers.checks' message tables, the language switch, the glossary's terms.

Every key of ``checks.MESSAGES`` (English) has a Vietnamese text with exactly the same ``{fields}``; every
message formats; ``set_language("vi")`` / ``NST_LANG=vi`` make a real checker run print Vietnamese; an unknown
language is a ConfigError that says the fix; and checks.py looks every text up through ``message()``.
"""

from __future__ import annotations

import ast
import pathlib
import re
import string
import subprocess
import sys

import numpy as np
import pytest

import nst_helpers as nst
from nst_helpers import checks, messages_vi

ROOT = pathlib.Path(__file__).resolve().parents[1]
EN, VI = checks.MESSAGES, messages_vi.MESSAGES

#: Keys whose Vietnamese text may equal the English one: they hold only fields, code and punctuation.
SAME_IN_BOTH = {"label"}
#: Vietnamese texts that need no diacritic ("chia cho 2*H*W").
PLAIN_LETTERS = {"norm_paper"}


@pytest.fixture(autouse=True)
def english_after(monkeypatch):
    """Each test starts and ends with no language chosen and no NST_LANG (the other tests expect English)."""
    monkeypatch.delenv(checks.LANGUAGE_ENV, raising=False)
    checks.set_language(None)
    yield
    checks.set_language(None)


def fields(text: str) -> list[tuple[str, str, str]]:
    """The ``{name!conversion:spec}`` fields of a format string, sorted (order may differ between languages)."""
    return sorted((name, conv or "", spec or "") for _, name, spec, conv in string.Formatter().parse(text)
                  if name is not None)


def dummy(spec: str) -> object:
    return 1.2345 if spec and spec[-1] in "efgEFG%" else 7 if spec.endswith("d") else "X"


# ----- the tables -------------------------------------------------------------------------------
def test_every_language_has_every_key():
    assert set(checks.LANGUAGES) == {"en", "vi"}
    for code, table in checks.LANGUAGES.items():
        assert set(table) == set(EN), (code, sorted(set(EN) ^ set(table)))


@pytest.mark.parametrize("key", sorted(EN))
def test_placeholders_are_identical(key):
    assert fields(VI[key]) == fields(EN[key]), key


@pytest.mark.parametrize("code", ["en", "vi"])
def test_every_message_formats_with_dummy_values(code):
    table = checks.LANGUAGES[code]
    for key, text in table.items():
        values = {name: dummy(spec) for name, _, spec in fields(text)}
        out = text.format(**values)
        assert "{" not in out and "}" not in out, (code, key, out)


def test_vietnamese_is_a_translation_not_a_copy():
    copies = [k for k in EN if VI[k] == EN[k] and k not in SAME_IN_BOTH]
    assert not copies
    vietnamese = re.compile(r"[ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ]", re.I)
    words = [k for k, text in VI.items() if k not in SAME_IN_BOTH and re.search(r"[A-Za-z]{3}", text)]
    assert [k for k in words if not vietnamese.search(VI[k]) and k not in PLAIN_LETTERS] == []


def test_messages_vi_and_the_lookup_need_no_tensorflow():
    code = ("import sys; import nst_helpers.messages_vi; from nst_helpers import checks; "
            "checks.set_language('vi'); print(checks.message('hint', hint='x')); "
            "assert 'tensorflow' not in sys.modules, 'TensorFlow was imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "Gợi ý: x"


# ----- the switch -------------------------------------------------------------------------------
def test_english_by_default_then_vietnamese_then_back():
    assert checks.get_language() == "en" and checks.message("hint", hint="h") == "Hint: h"
    checks.set_language("vi")
    assert checks.get_language() == "vi" and checks.message("hint", hint="h") == "Gợi ý: h"
    checks.set_language(None)
    assert checks.message("cannot_check") == EN["cannot_check"]


def test_environment_variable_and_its_override(monkeypatch):
    monkeypatch.setenv("NST_LANG", "vi_VN.UTF-8")
    assert checks.get_language() == "vi" and checks.message("cannot_check") == VI["cannot_check"]
    checks.set_language("EN")  # an explicit choice beats the environment
    assert checks.message("cannot_check") == EN["cannot_check"]


def test_unknown_language_is_a_config_error_with_the_fix(monkeypatch):
    with pytest.raises(nst.ConfigError, match=r"'vn'.*set_language with 'en' or 'vi'.*Vietnamese is 'vi'"):
        checks.set_language("vn")
    assert checks.get_language() == "en"  # a refused choice changes nothing
    monkeypatch.setenv("NST_LANG", "fr")
    with pytest.raises(nst.ConfigError, match=r"NST_LANG: .*'fr'.*set NST_LANG to 'en' or 'vi'"):
        checks.message("hint", hint="x")


def test_a_missing_translation_falls_back_to_english(monkeypatch):
    monkeypatch.delitem(VI, "cannot_check")
    checks.set_language("vi")
    assert checks.message("cannot_check") == EN["cannot_check"]


# ----- real checker runs ------------------------------------------------------------------------
def gram_bbt(features):
    """A typical wrong Gram matrix: B B^T, position by position."""
    import tensorflow as tf

    b = tf.reshape(features, (-1, features.shape[-1]))
    return tf.matmul(b, b, transpose_b=True)


def run(checker, fn, capsys, **kwargs):
    verdict = checker(fn, **kwargs)
    return verdict, capsys.readouterr().out


def test_wrong_gram_gets_the_vietnamese_hint(capsys):
    checks.set_language("vi")
    ok, out = run(checks.check_gram_matrix, gram_bbt, capsys)
    assert not ok
    assert VI["gram_bbt"] in out and "Gợi ý:" in out and "sai ở đầu vào 1/5 (tf.Tensor ngẫu nhiên" in out
    assert not re.search(r"\b(Hint|input|wrong on|random)\b", out), out  # no English left in the verdict
    checks.set_language("en")
    ok, out = run(checks.check_gram_matrix, gram_bbt, capsys)
    assert not ok and EN["gram_bbt"] in out and "wrong on input 1/5 (random tf.Tensor" in out


def test_nst_lang_reaches_a_checker_crash_and_its_numpy_hint(monkeypatch, capsys):
    monkeypatch.setenv("NST_LANG", "vi")
    ok, out = run(checks.check_total_variation_loss, lambda x: x.get_shape() and 0.0, capsys)
    assert not ok
    assert "hàm của bạn báo lỗi AttributeError" in out and VI["numpy_input"] in out and "dòng " in out


def test_vietnamese_pass_and_normalisation_words(capsys):
    checks.set_language("vi")

    def gram(f):
        b = np.asarray(f, np.float64).reshape(-1, np.shape(f)[-1])
        return b.T @ b

    ok, out = run(checks.check_gram_matrix, gram, capsys)
    assert ok and "đúng trên cả 5 đầu vào" in out
    ok, out = run(checks.check_gram_matrix, nst.losses.gram_matrix, capsys, normalize="hw")
    assert not ok and VI["norm_none"] in out and VI["norm_hw"] in out and "normalize='hw'" in out


# ----- checks.py looks every text up through message() -------------------------------------------
CHECKS_TREE = ast.parse((ROOT / "nst_helpers" / "checks.py").read_text(encoding="utf-8"))


def enclosing_functions(tree: ast.AST) -> dict[ast.AST, str]:
    owner = {}
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                owner.setdefault(node, fn.name)  # ast.walk is breadth-first: the outermost function wins
    return owner


def test_no_direct_table_lookups():
    owner = enclosing_functions(CHECKS_TREE)
    direct = [node.lineno for node in ast.walk(CHECKS_TREE)
              if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "MESSAGES"
              and owner.get(node) != "message"]
    assert direct == [], f"checks.py reads MESSAGES[...] directly at lines {direct}: call message(key, ...)"


def literal_words(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return " ".join(v.value for v in node.values if isinstance(v, ast.Constant))
    return ""


def test_no_inline_english_in_what_checkers_print():
    printers = {"print", "_Problem", "_fail", "_succeed", "_tweak_fail", "_tweak_pass", "ValueError"}
    found = []
    for node in ast.walk(CHECKS_TREE):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in printers:
            for arg in node.args:
                words = literal_words(arg)
                if re.search(r"[A-Za-z]{3,}", words) and words not in EN:  # a key of MESSAGES is fine
                    found.append((node.lineno, words))
    assert found == [], f"move these texts into MESSAGES: {found}"


def test_every_literal_key_exists():
    keys = [node.args[0].value for node in ast.walk(CHECKS_TREE)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "message"
            and node.args and isinstance(node.args[0], ast.Constant)]
    assert len(keys) > 50 and not [k for k in keys if k not in EN]


# ----- the glossary's terms are the ones the messages use -----------------------------------------
#: (English pattern in a message, the glossary's English term, its Vietnamese term): where an English message
#: says the first, its translation says the third; GLOSSARY.md has a row with the second and the third.
TERMS = [
    (r"\bgram matri(x|ces)\b", "Gram matrix", "ma trận Gram"),
    (r"\bfeature maps?\b", "feature map", "ánh xạ đặc trưng"),
    (r"\blayers?\b", "layer", "tầng"),
    (r"\bconvolutions?\b", "convolution", "tích chập"),
    (r"\bchannels?\b", "channel", "kênh"),
    (r"\bpixels?\b", "pixel", "điểm ảnh"),
    (r"\bcontent loss\b", "content loss", "mất mát nội dung"),
    (r"\bstyle loss\b", "style loss", "mất mát phong cách"),
    (r"\bdenoise\b", "denoise loss", "mất mát khử nhiễu"),
    (r"\bnormali[sz]", "normalisation", "chuẩn hoá"),
    (r"\bpreprocess", "preprocessing", "tiền xử lý"),
    (r"\blearning rate\b", "learning rate", "tốc độ học"),
    (r"\boptimi[sz]er\b", "optimiser", "bộ tối ưu"),
    (r"\bsteps?\b", "step", "bước"),
    (r"\bweights?\b", "weights", "trọng số"),
    (r"\breceptive fields?\b", "receptive field", "vùng tiếp nhận"),
    (r"\bseed\b|\bblog\b", "the seed", "bài gốc"),
    (r"\bpaper's\b", "the paper", "bài báo"),
]


def prose(text: str) -> str:
    """A message without its fields, `code` and dotted names (nst.model.preprocess), lower-cased."""
    text = re.sub(r"\{[^}]*\}|`[^`]*`|\w+(\.\w+)+", " ", text)
    return text.lower()


@pytest.mark.parametrize(("english", "term", "vietnamese"), TERMS)
def test_messages_use_the_glossary_term(english, term, vietnamese):
    used = [k for k in EN if re.search(english, prose(EN[k]))]
    assert used, f"no English message matches {english!r}: drop it from TERMS"
    assert [k for k in used if vietnamese.lower() not in VI[k].lower()] == []


@pytest.mark.parametrize(("english", "term", "vietnamese"), TERMS)
def test_the_glossary_fixes_each_term(english, term, vietnamese):
    rows = [line for line in (ROOT / "notebooks" / "vi" / "GLOSSARY.md").read_text(encoding="utf-8").splitlines()
            if line.startswith("|")]
    assert any(vietnamese.lower() in row.lower() and term.lower() in row.lower() for row in rows), (term, vietnamese)


def test_no_name_hides_the_lookup_function():
    """A parameter or variable called ``message`` inside checks.py would turn message(...) into a crash there."""
    hidden = [node.lineno for node in ast.walk(CHECKS_TREE)
              if (isinstance(node, ast.arg) and node.arg == "message" and owner_is_checker_code(node))
              or (isinstance(node, ast.Name) and node.id == "message" and isinstance(node.ctx, ast.Store))]
    assert hidden == []


def owner_is_checker_code(node: ast.arg) -> bool:
    return not any(isinstance(cls, ast.ClassDef) and node in set(ast.walk(cls)) for cls in CHECKS_TREE.body)
