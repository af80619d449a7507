"""The packages ``pipelines`` and ``staging`` export their public names, imported on first use."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest


@pytest.mark.parametrize("package", ["scoreline.pipelines", "scoreline.staging"])
def test_every_exported_name_resolves_to_its_module(package: str) -> None:
    module = importlib.import_module(package)
    assert module.__all__
    for name in module.__all__:
        value = getattr(module, name)
        assert getattr(value, "__module__", package).startswith(package), name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        module.nope  # noqa: B018


def test_importing_the_pipeline_definition_loads_no_pandas() -> None:
    # Airflow parses DAG files every few seconds: the definition and the package stay light
    code = "import sys, scoreline.pipelines.definition, scoreline.staging; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
