"""pytest fixtures for the PrestaShop simulator."""
