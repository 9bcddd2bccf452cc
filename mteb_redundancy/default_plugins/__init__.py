"""The project's own models, user models, prompt styles, backends, estimators and commands, registered through the same hooks a third-party plugin uses."""
