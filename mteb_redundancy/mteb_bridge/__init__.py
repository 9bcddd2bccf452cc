"""The only code that touches MTEB's internals: its registries, dataloaders, task base classes and evaluators. Every other module uses MTEB's public API, or this package."""
