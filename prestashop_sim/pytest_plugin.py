"""pytest fixtures for the PrestaShop simulator."""

import contextlib

import pytest

from prestashop_sim.testing import run_simulator


@pytest.fixture
def simulator_factory():
    """Start simulators with any run_simulator options; all stop at teardown."""
    with contextlib.ExitStack() as stack:
        yield lambda **options: stack.enter_context(run_simulator(**options))


@pytest.fixture
def simulator(simulator_factory):
    """A PrestaShop 8.1.7 simulator with the section-9 shop plus 20 generated products."""
    return simulator_factory(section9=True, products=20, ps_version="8.1.7")


@pytest.fixture
def simulator_17(simulator_factory):
    """The same shop as `simulator`, as PrestaShop 1.7.8.11 (no PATCH, JSON keeps zeros)."""
    return simulator_factory(section9=True, products=20, ps_version="1.7.8.11")


@pytest.fixture
def simulator_section9(simulator_factory):
    """Exactly the shop of the reference's wire examples (products 7 and 8), PrestaShop 8.1.7."""
    return simulator_factory(section9=True, ps_version="8.1.7")
