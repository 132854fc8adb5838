import pytest


@pytest.fixture
def rates(settings):
    """`rates(submission="2/min")`: throttle rates for this test (the others keep their values)."""

    def set_rates(**scopes: str) -> None:
        framework = settings.REST_FRAMEWORK
        settings.REST_FRAMEWORK = {
            **framework, "DEFAULT_THROTTLE_RATES": {**framework["DEFAULT_THROTTLE_RATES"], **scopes},
        }

    return set_rates
