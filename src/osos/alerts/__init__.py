"""Alerts for customers and operators: reactive penalty risk and contract power during the
month, data freshness; raised once per level, stored, sent by e-mail (and SMS) as users choose.

- :mod:`~osos.alerts.figures` and :mod:`~osos.alerts.compensation`: the month's figures (pure);
- :mod:`~osos.alerts.evaluate`: what a month raises as of an instant (``osos alerts preview``);
- :mod:`~osos.alerts.store`, :mod:`~osos.alerts.send`: stored once, sent once per level;
- :mod:`~osos.alerts.preferences`: each user's choice (on/off, daily/weekly, kinds, SMS).
"""
