"""A PrestaShop webservice simulator for tests, benchmarks and demos.

Start it with prestashop_sim.testing.run_simulator(...) (in-process) or
`python -m prestashop_sim` (a process with a JSON side endpoint under /_sim/).
"""
