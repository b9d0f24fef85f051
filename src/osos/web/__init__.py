"""The HTTP edge of osos: every router — the customer panel, the back office, the account
applications and the market participants' JSON API — in one FastAPI application
(:func:`osos.web.app.create_app`).

Routers depend one way on service modules that own the SQL and return frozen views: the read
model (:mod:`osos.readmodel`), identity (:mod:`osos.identity`), the MDM and the sharing
layer; every file users download goes through :mod:`osos.exports`.
"""
