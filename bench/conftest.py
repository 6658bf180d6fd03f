from tests.conftest import *  # noqa: F403 (the suite's fixtures: products, the simulator)
