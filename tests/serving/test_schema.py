"""Property-based API tests (schemathesis) against the OpenAPI schema: no 5xx, every response conforms.

Valid and invalid requests are generated for every operation (``MAX_EXAMPLES`` each) and sent to the app
in-process; the checks are schemathesis' ``not_a_server_error`` and ``response_schema_conformance``.
(Hypothesis strategies from the schema are used directly: ``schemathesis.pytest.from_fixture`` does not run
under this pytest version.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from scoreline.serving import create_app
from scoreline.settings import Settings

from .conftest import API_KEY, ModelsInMemory

MAX_EXAMPLES = 100
OPERATIONS = 9


@pytest.fixture(scope="module")
def api_schema(
    tmp_path_factory: pytest.TempPathFactory, store_url: str, fitted_models: dict[str, Any]
) -> Any:
    home: Path = tmp_path_factory.mktemp("schema_home")
    provider = ModelsInMemory(
        {1: ("poisson", fitted_models["poisson"]), 2: ("dixon_coles", fitted_models["dixon_coles"])},
        {"champion": 2, "challenger": 1},
    )
    app = create_app(Settings(home=home, db_url=store_url, api_key=SecretStr(API_KEY)), provider)
    app.state.serving.reload()  # the schema's ASGI client does not run the lifespan
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.slow
def test_every_operation_conforms_to_the_schema_and_never_fails_on_the_server(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == OPERATIONS
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
        )

        @given(case=strategy)
        @settings(
            max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def conforms(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

        conforms()
