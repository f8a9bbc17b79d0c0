"""Small plugin modules for the registry tests, registered by name (config ``PLUGINS``)
or by the ``register_plugin`` fixture, like Datasette's ``tests/plugins``."""
