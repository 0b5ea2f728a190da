"""Build of the optional compiled scanner (metadata lives in pyproject.toml).

``optional=True``: without a C compiler the package still installs, and the readers use the
numpy scanner (:mod:`finishline.io.xml_scan`).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "finishline.io._xmlscan",
            sources=["src/finishline/io/_xmlscan.c"],
            extra_compile_args=["-O2", "-Wall", "-Wextra"],
            optional=True,
        )
    ]
)
