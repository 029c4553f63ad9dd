"""Privacy and data rights: a member's copy of their data, closing an account, the retention
purge, and logged staff access to private details.

- ``models``: sign-in addresses (kept ``IP_RETENTION_DAYS``).
- ``inventory``: every column that points at a member, and what the export does with it.
- ``export``: builds the "download my data" document (read-only).
- ``actions``: ``do_export_my_data``, ``do_delete_account``, ``do_view_member_private``.
- ``erasure``: the private steps of closing an account (quotes, posts, identity).
- ``retention``: ``do_purge_expired`` and the settings it reads.
- ``views`` / ``cli``: the pages and ``forum privacy purge``.
"""
