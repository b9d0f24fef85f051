"""The JSON API for market participants (suppliers, OSBs, the market operator): ``/api/v1``,
documented by OpenAPI. :mod:`~osos.web.api.routes` holds the endpoints, :mod:`~.caller` the
token, rate limit and audit of each call, :mod:`~.models` the request and response shapes."""
