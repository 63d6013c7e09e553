"""The deferred rfc3987_syntax import: quick to import, the same answers when used."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
from lspkit.lazyimports import defer_rfc3987_syntax
defer_rfc3987_syntax()  # as the lspkit command does first
import nbformat
loaded_at_import = type(sys.modules["rfc3987_syntax"]).__name__
from jsonschema import FormatChecker
checker = FormatChecker()
print(loaded_at_import, checker.conforms("https://example.org/ä", "iri"), checker.conforms("http://[bad", "iri"),
      checker.conforms("a b", "iri-reference"), type(sys.modules["rfc3987_syntax"]).__name__)
"""


def test_after_the_deferral_nbformat_leaves_rfc3987_syntax_unloaded_until_an_iri_is_checked():
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True).stdout.split()
    # a stand-in at import; the real module (and the real answers) once a check needs it
    assert out == ["_Deferred", "True", "False", "False", "module"]


def test_the_answers_are_those_of_the_real_package():
    real = subprocess.run(
        [sys.executable, "-c", "import rfc3987_syntax as r; print([r.is_valid_syntax('iri', v) for v in "
         "('https://example.org/ä', 'http://[bad', 'urn:isbn:0451450523')])"],
        capture_output=True, text=True, check=True).stdout
    deferred = subprocess.run(
        [sys.executable, "-c", "import sys, lspkit.lazyimports as z; z.defer_rfc3987_syntax(); r = sys.modules['rfc3987_syntax']; print([r.is_valid_syntax("
         "'iri', v) for v in ('https://example.org/ä', 'http://[bad', 'urn:isbn:0451450523')])"],
        capture_output=True, text=True, check=True).stdout
    assert deferred == real and real.strip() == "[True, False, True]"


def test_the_lspkit_command_defers_and_importing_lspkit_does_not():
    code = ("import sys, lspkit, nbformat; print(type(sys.modules.get('rfc3987_syntax')).__name__)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == (
        "module")
    code = ("import sys; from lspkit.cli import main; main(['list']); import nbformat; "
            "print(type(sys.modules.get('rfc3987_syntax')).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "_Deferred"


def test_the_suite_defers_too_and_looking_through_lazyimports_does_not_undo_it(pytestconfig):
    # this process: pytest loaded lspkit.pytest_deferral as a plugin, before the nbval plugin imported
    # nbformat, and the stand-in went in (a doctest that checks an IRI may since have loaded the real
    # module, as it should)
    assert pytestconfig.pluginmanager.has_plugin("lspkit.pytest_deferral")
    assert sys.modules["lspkit.pytest_deferral"].DEFERRED is True
    # a tool that asks each of the module's attributes for a name (as pytest's collection does) leaves it deferred
    code = ("import sys, lspkit.lazyimports as z; z.defer_rfc3987_syntax(); "
            "[getattr(getattr(z, name), '_pytestfixturefunction', None) for name in dir(z)]; "
            "print(type(sys.modules['rfc3987_syntax']).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "_Deferred"
