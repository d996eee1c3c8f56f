"""Optional compiled accelerators (Cython) for the client's record hot path.

Everything in pyproject.toml is declarative; this file only adds the extension modules. Each one has a
pure-Python twin that is the reference and the fallback, so a machine without a C compiler (or Cython)
still installs Strom: the failed build is reported as a warning and the package works without it.
Set STROM_NO_EXTENSIONS=1 at run time to use the pure-Python code even when the extensions are built.

Protocol or client modules that want an accelerator add one line to EXTENSIONS: (module name, .pyx path).
Plain C modules (no Cython needed) go to C_EXTENSIONS; their CPU-specific kernels use target attributes and a
run-time CPU check, never global -march flags, so the built module runs on any x86-64.
"""

from __future__ import annotations

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

EXTENSIONS = [
    ("strom.client._fast_codec", "src/strom/client/_fast_codec.pyx"),
    ("strom.protocol._fast_decode", "src/strom/protocol/_fast_decode.pyx"),
]
C_EXTENSIONS = [
    ("strom._crc32c", "src/strom/_crc32c.c"),  # CRC32C by PCLMULQDQ folding; strom.checksum picks it
]


def _extensions() -> list[Extension]:
    if os.environ.get("STROM_NO_EXTENSIONS"):
        return []
    plain_c = [Extension(name, [path], extra_compile_args=["-O2"]) for name, path in C_EXTENSIONS]
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("[strom] Cython is not installed: the pure-Python record codec will be used", file=sys.stderr)
        return plain_c
    modules = [Extension(name, [path], extra_compile_args=["-O2"]) for name, path in EXTENSIONS]
    return plain_c + cythonize(
        modules,
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True, "embedsignature": True},
        quiet=True,
    )


class OptionalBuildExt(build_ext):
    """Builds each extension if it can; a missing compiler or a failed build is a warning, not an error."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any build failure means "use the pure-Python fallback"
            self._warn(f"extensions not built ({exc})")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            self._warn(f"{ext.name} not built ({exc})")

    @staticmethod
    def _warn(message: str) -> None:
        print(f"[strom] warning: {message}; the pure-Python fallback will be used", file=sys.stderr)


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
