"""A PrestaShop webservice simulator for tests, benchmarks and demos.

Start it with prestashop_sim.testing.run_simulator(...) (in-process) or
`python -m prestashop_sim` (a process with a JSON side endpoint under /_sim/).
Orders (prestashop_sim.orders) are placed, moved and edited through /_sim/orders... or the
handles' helpers (order_helpers.OrderHelpers) and read on the webservice like a real 8.1.2.
"""
