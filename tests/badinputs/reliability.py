"""Bad arguments to the reliability API: each raises an error naming the argument and what to pass.

The coefficients raise :class:`lspkit.reliability.ReliabilityInputError`, a ``ValueError`` that is
also an ``LspkitError``; the corpus-level functions raise ``LspkitError`` naming the parameter.
"""

from __future__ import annotations

import numpy as np

from lspkit import load_corpus
from lspkit import reliability as R
from lspkit.errors import LspkitError

from . import BadInput

Bad = R.ReliabilityInputError


def coefficient(id: str, call, *expect: str) -> BadInput:
    return BadInput(id=id, call=lambda data, tmp: call(), raises=(Bad, ValueError), expect=expect)


def on_corpus(id: str, call, *expect: str) -> BadInput:
    return BadInput(id=id, call=lambda data, tmp: call(load_corpus(data)), raises=LspkitError, expect=expect)


CASES: list[BadInput] = [
    coefficient("reliability-kappa-values-not-binary", lambda: R.cohen_kappa([1, 2, 3], [3, 1, 2]),
                "ReliabilityInputError: argument a: must hold only 0/1 or True/False ratings; item 1 is 2"),
    coefficient("reliability-kappa-yes-no-strings", lambda: R.cohen_kappa(["yes", "no"], ["no", "no"]),
                "argument a: must hold only 0/1 or True/False ratings; item 0 is 'yes'",
                "code each rating as 1 or True"),
    coefficient("reliability-kappa-missing-rating", lambda: R.cohen_kappa([1, 0, 1], [1, None, 0]),
                "argument b: must hold only 0/1 or True/False ratings; item 1 is None"),
    coefficient("reliability-kappa-nan-rating", lambda: R.cohen_kappa(np.array([1.0, np.nan]), [1, 0]),
                "argument a:", "item 1 is nan"),
    coefficient("reliability-kappa-unequal-lengths", lambda: R.cohen_kappa([1, 0, 1], [1, 0]),
                "argument b: has 2 ratings but a has 3", "the two coders must rate the same items"),
    coefficient("reliability-kappa-a-string", lambda: R.cohen_kappa("1011", "1001"),
                "argument a: must be a sequence of ratings, not '1011'"),
    coefficient("reliability-kappa-a-matrix", lambda: R.cohen_kappa([[1, 0], [0, 1]], [[1, 0], [0, 1]]),
                "argument a: must be a flat sequence of ratings, not an array of shape (2, 2)"),
    coefficient("reliability-kappa-table-not-2x2", lambda: R.cohen_kappa_from_table([[20, 5, 1], [10, 15, 2]]),
                "argument table: must be 2 x 2, not 2 x 3", "[[both yes, a only], [b only, both no]]"),
    coefficient("reliability-kappa-table-negative", lambda: R.cohen_kappa_from_table([[20, -5], [10, 15]]),
                "argument table: counts must be finite and not negative"),
    coefficient("reliability-kappa-table-words", lambda: R.cohen_kappa_from_table([["a", "b"], ["c", "d"]]),
                "argument table: must hold counts (numbers)"),
    coefficient("reliability-alpha-one-coder", lambda: R.krippendorff_alpha([[1, 0, 1]]),
                "argument data: needs at least two coders (rows), got 1"),
    coefficient("reliability-alpha-ragged-rows", lambda: R.krippendorff_alpha([[1, 0, 1], [1, 0]]),
                "argument data: rows must have one length, one rating per unit; they have 2, 3"),
    coefficient("reliability-alpha-flat-list", lambda: R.krippendorff_alpha([1, 0, 1]),
                "argument data: must be a matrix: a sequence of rows, one per coder"),
    coefficient("reliability-alpha-word-rating", lambda: R.krippendorff_alpha([[1, "yes"], [1, 0]]),
                "argument data: must hold numbers (None or NaN where a rating is missing); row 0, item 1 is 'yes'"),
    coefficient("reliability-alpha-unknown-level", lambda: R.krippendorff_alpha([[1, 0], [1, 1]], "nominl"),
                "argument level: unknown level of measurement 'nominl'", "nominal, ordinal, interval, ratio"),
    coefficient("reliability-percent-one-coder", lambda: R.percent_agreement([[1, 0, 1]]),
                "argument data: needs at least two coders (rows), got 1"),
    coefficient("reliability-percent-infinite", lambda: R.percent_agreement([[1, np.inf], [1, 0]]),
                "argument data: holds an infinite rating"),
    coefficient("reliability-kappa-band-word", lambda: R.kappa_band("high"),
                "argument kappa: must be a number, not 'high'"),
    on_corpus("reliability-coders-a-string", lambda c: R.reliability(c, "researcher"),
              "parameter coders: must be a list of coder ids, not the string 'researcher'", "registered coders:"),
    on_corpus("reliability-one-coder", lambda c: R.reliability(c, ["researcher"]),
              "parameter coders: need at least two coders", "registered coders: structure, researcher, auto"),
    on_corpus("reliability-unknown-coder", lambda c: R.disagreements(c, ["researcher", "anna"]),
              "parameter coder: unknown coder 'anna'"),
    on_corpus("reliability-unknown-unit-kind", lambda c: R.reliability(c, ["structure", "auto"], kinds=("paragraf",)),
              "parameter kinds: unknown unit kind 'paragraf'", "paragraph, quote, learning_point, question"),
    on_corpus("reliability-kinds-a-string", lambda c: R.units_compared(c, ["structure", "auto"], kinds="quote"),
              "parameter kinds: must be a list of unit kinds, not the string 'quote'"),
    on_corpus("reliability-themes-with-structure", lambda c: R.reliability(c, ["structure", "auto"], code_kind="theme"),
              "parameter coders: coder 'structure' is derived from the headings and gives no themes"),
    on_corpus("reliability-unknown-code-kind", lambda c: R.reliability(c, ["researcher", "auto"], code_kind="elements"),
              "parameter code_kind: unknown code kind 'elements'"),
]
