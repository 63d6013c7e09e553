"""Build hook: the wheel carries the example workbook (data/ and notebooks/) as package data.

The project's own data/ and notebooks/ are the example's single source; they are copied into
lspkit/example/ of the built package, so `lspkit init --example` and `lspkit.load_example()` work
from an installed wheel. Everything else is configured in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
EXAMPLE = ("data", "notebooks")


class BuildWithExample(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "lspkit" / "example"
        for name in EXAMPLE:
            if (ROOT / name).is_dir():
                shutil.copytree(ROOT / name, target / name, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))


setup(cmdclass={"build_py": BuildWithExample})
