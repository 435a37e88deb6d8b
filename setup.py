"""The wheel carries the example plans and task suites: the build copies the repository's plans/ and tasks/
into the package as mantis/library/ (the sdist has them through MANIFEST.in)."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

LIBRARY = ("plans", "tasks")


class BuildWithLibrary(build_py):
    def run(self) -> None:
        super().run()
        library = Path(self.build_lib) / "mantis" / "library"
        for folder in LIBRARY:
            shutil.copytree(Path(folder), library / folder, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithLibrary})
