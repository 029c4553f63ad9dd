"""The JSON API, version 1, at ``/api/v1``: routes in the per-resource modules, declared
through :mod:`forum.api.registry`, which also generates the OpenAPI document."""
