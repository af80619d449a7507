"""Property-based API tests (schemathesis) against the OpenAPI schema, with and without the admin key.

Valid and invalid requests are generated for every operation (``MAX_EXAMPLES`` each) and sent to the app
in-process; the checks: no 5xx, every status code and content type documented, every response body and
header conforming to the schema, every invalid request refused (no integer accepted as a kickoff). With the
key every request carries the right ``X-API-Key``, so the admin operations run their real code; without it
they must answer 401/403/429 as documented. (Hypothesis strategies from the schema are used directly:
``schemathesis.pytest.from_fixture`` does not run under this pytest version.)
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
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from scoreline.serving import create_app
from scoreline.settings import Settings

from .conftest import API_KEY, ModelsInMemory

MAX_EXAMPLES = 100
OPERATIONS = 9
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]


def schema_of_app(home: Path, store_url: str, fitted_models: dict[str, Any]) -> Any:
    provider = ModelsInMemory(
        {1: ("poisson", fitted_models["poisson"]), 2: ("dixon_coles", fitted_models["dixon_coles"])},
        {"champion": 2, "challenger": 1},
    )
    app = create_app(Settings(home=home, db_url=store_url, api_key=SecretStr(API_KEY)), provider)
    app.state.serving.reload()  # the schema's ASGI client does not run the lifespan
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.slow
@pytest.mark.parametrize("with_key", [True, False], ids=["with-key", "without-key"])
def test_every_operation_conforms_to_the_schema_and_never_fails_on_the_server(
    with_key: bool, tmp_path: Path, store_url: str, fitted_models: dict[str, Any]
) -> None:
    api_schema = schema_of_app(tmp_path, store_url, fitted_models)
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
            if with_key:
                case.headers = {**(case.headers or {}), "X-API-Key": API_KEY}
            case.call_and_validate(checks=CHECKS)

        conforms()
