"""Sub-commands of ``mteb-redundancy``, one module each (see ``cli.COMMAND_MODULES``)."""
