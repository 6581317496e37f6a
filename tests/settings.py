"""The test suite's settings: production settings plus the demo app, whose tests live here."""

from invsync.env import env_float, env_int
from invsync.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "demo"]  # noqa: F405

# The engine's tests count requests and passes: the client retries each request only where a
# test asks for it (its own retries are tested in test_client_retries.py). An environment value
# (a worker started by a test) still wins.
INVSYNC_SHOP_RETRIES = env_int("INVSYNC_SHOP_RETRIES", 0, minimum=0)
INVSYNC_SHOP_RATE_LIMIT_RETRIES = env_int("INVSYNC_SHOP_RATE_LIMIT_RETRIES", 0, minimum=0)

# A limiter test on Redis measures Redis: on a loaded machine a call slower than production's
# 2 s must not switch it silently to the in-process fallback half way (an unreachable Redis
# is still refused at once, so the fallback tests keep working).
INVSYNC_REDIS_TIMEOUT = env_float("INVSYNC_REDIS_TIMEOUT", 30.0, minimum=0.1)
