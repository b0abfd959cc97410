"""Build hook: the wheel carries compiled message catalogs.

The .mo files are build output and never committed; `make translations` compiles them in a checkout.
A wheel (pip install ., a container image) compiles them here, so an installed app speaks Chinese.
Everything else about the package is in pyproject.toml.
"""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithCatalogs(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            return  # an editable install reads the source tree, which `make translations` compiles
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in Path("tracker/translations").glob("*/LC_MESSAGES/messages.po"):
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parts[-3])
            target = Path(self.build_lib) / po.with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as out:
                write_mo(out, catalog)


setup(cmdclass={"build_py": BuildPyWithCatalogs})
