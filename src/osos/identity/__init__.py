"""Who the users of osos are: accounts, logins and sessions, password hashing (Argon2id),
account applications with their documents, the outbox of mails to users, and the demo users.

No HTTP here: the panel's routes and the CLI (``osos users``) call these modules, so the
lock-out, expiry and password rules are the same wherever an account is used.

- :mod:`~osos.identity.accounts` — users: create (with the policy), list, find, enable/disable;
- :mod:`~osos.identity.sessions` — login with lock-out and throttling, sessions, resets;
- :mod:`~osos.identity.passwords` — Argon2id and the password policy;
- :mod:`~osos.identity.applications` — applications (talep başvurusu) and decisions;
- :mod:`~osos.identity.outbox` — mails queued in the database, sent when SMTP is set;
- :mod:`~osos.identity.demo` — one demo account of each kind on the demo registry.
"""
