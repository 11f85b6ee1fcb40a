"""The SQL the SQLite and PostgreSQL stores share, with ``?`` placeholders.

Values always travel as parameters. What is formatted into a statement here is only ever
constant SQL text or a run of ``?`` placeholders, hence the ``S608`` exemptions.
"""

from __future__ import annotations

from collections.abc import Sequence

COLUMNS = (
    "id, destination, resource_type, resource_id, group_key, body, state, attempts, not_before,"
    " lease_owner, lease_expires, last_error, outcome, receipt, created, updated"
)
SELECT_ITEMS = f"SELECT {COLUMNS} FROM outbox_items"  # noqa: S608

CREATE_SCHEMA_TABLE = "CREATE TABLE IF NOT EXISTS outbox_schema (version INTEGER NOT NULL)"
SCHEMA_VERSIONS = "SELECT version FROM outbox_schema"
ADD_SCHEMA_VERSION = "INSERT INTO outbox_schema (version) VALUES (?)"

_BRANCH = (
    "SELECT * FROM (SELECT id, group_key, not_before FROM outbox_items WHERE destination = ?"
    " AND state = {state} {after} ORDER BY not_before, id LIMIT ?) AS {alias}"
)
_AFTER = "AND (not_before, id) > (?, ?)"
_BRANCHES = (
    ("'pending'", "p"),
    ("'retry-wait' AND not_before <= ?", "r"),
    ("'leased' AND lease_expires < ?", "l"),
)


def candidates(after: bool) -> str:
    """Waiting items (pending, retry-wait that is due, expired leases) by (not_before, id).

    Parameters: destination, [after...], n; destination, now, [after...], n; the same again;
    n. Each branch is an index range scan, so only about n rows are read whatever the backlog.
    """
    branches = " UNION ALL ".join(
        _BRANCH.format(state=state, after=_AFTER if after else "", alias=alias)
        for state, alias in _BRANCHES
    )
    union = f"SELECT id, group_key, not_before FROM ({branches}) AS c"  # noqa: S608
    return union + " ORDER BY not_before, id LIMIT ?"


GROUP_ROWS = (
    "SELECT i.id, i.state, i.not_before, i.lease_expires, EXISTS (SELECT 1 FROM outbox_items o"
    " WHERE o.destination = i.destination AND o.resource_type = i.resource_type"
    " AND o.resource_id = i.resource_id AND o.id < i.id"
    " AND o.state IN ('pending', 'retry-wait', 'leased')) AS blocked"
    " FROM outbox_items i WHERE i.destination = ? AND i.group_key = ?"
    " AND i.state IN ('pending', 'retry-wait', 'leased') ORDER BY i.id"
)
"""A group's live items, each with whether an older live version of its resource exists."""


def take(n: int) -> str:
    """Lease n items: owner, lease_expires, updated, ids."""
    return (
        "UPDATE outbox_items SET state = 'leased', lease_owner = ?, lease_expires = ?,"  # noqa: S608
        f" updated = ? WHERE id IN ({placeholders(n)})"
    )


def items_by_id(n: int) -> str:
    return f"{SELECT_ITEMS} WHERE id IN ({placeholders(n)})"


def release(n: int) -> str:
    """Give back n items unsent: updated, ids, owner."""
    return (
        "UPDATE outbox_items SET state = CASE WHEN attempts > 0 THEN 'retry-wait'"  # noqa: S608
        " ELSE 'pending' END, lease_owner = NULL, lease_expires = NULL, updated = ?"
        f" WHERE id IN ({placeholders(n)}) AND state = 'leased' AND lease_owner = ?"
    )


DELIVERED = (
    "UPDATE outbox_items SET state = 'delivered', receipt = ?, lease_owner = NULL,"
    " lease_expires = NULL, updated = ? WHERE id = ? AND state = 'leased' AND lease_owner = ?"
)
RETRY = (
    "UPDATE outbox_items SET state = 'retry-wait', attempts = attempts + 1, not_before = ?,"
    " last_error = ?, outcome = ?, lease_owner = NULL, lease_expires = NULL, updated = ?"
    " WHERE id = ? AND state = 'leased' AND lease_owner = ?"
)
DEAD = (
    "UPDATE outbox_items SET state = 'dead', attempts = attempts + 1, last_error = ?,"
    " outcome = ?, lease_owner = NULL, lease_expires = NULL, updated = ?"
    " WHERE id = ? AND state = 'leased' AND lease_owner = ?"
)
"""Marks: the values, updated, id, owner; they change nothing unless `owner` holds the lease."""


def replay(one: bool) -> str:
    """DEAD -> PENDING unless a newer version is delivered or live: not_before, updated, [id]."""
    return (
        "UPDATE outbox_items SET state = 'pending', attempts = 0, not_before = ?,"  # noqa: S608
        " lease_owner = NULL, lease_expires = NULL, updated = ? WHERE state = 'dead'"
        f" {'AND id = ?' if one else ''} AND NOT EXISTS (SELECT 1 FROM outbox_items n"
        " WHERE n.destination = outbox_items.destination"
        " AND n.resource_type = outbox_items.resource_type"
        " AND n.resource_id = outbox_items.resource_id AND n.id > outbox_items.id"
        " AND n.state <> 'dead')"
    )


def items(state: bool, destination: bool, destination_column: str = "destination") -> str:
    """A page by id: after_id, [state], [destination], limit.

    `destination_column` lets SQLite write ``+destination``, which keeps its planner from
    reading a destination's whole backlog through the due index only to sort it by id.
    """
    where = "id > ?" + (" AND state = ?" if state else "")
    where += f" AND {destination_column} = ?" if destination else ""
    return f"{SELECT_ITEMS} WHERE {where} ORDER BY id LIMIT ?"


COUNTS = "SELECT destination, state, COUNT(*) FROM outbox_items GROUP BY destination, state"
RECEIPTS = (
    "SELECT receipt FROM outbox_items WHERE destination = ? AND resource_type = ?"
    " AND resource_id = ? AND state = 'delivered' ORDER BY updated DESC, id DESC LIMIT 20"
)


def placeholders(n: int) -> str:
    return ", ".join("?" * n)


def chunks(ids: Sequence[int], size: int = 500) -> list[Sequence[int]]:
    """`ids` in runs short enough for one statement's parameter limit."""
    return [ids[start : start + size] for start in range(0, len(ids), size)]
