"""The sync engine: plain functions over the database, the ledger and the shop's client.

plan       the pure diff between the ledger's quantities and the shop's rows
outbox     dirty marks on links: mark, claim, clear only if unchanged, reap
push/pull  one pass over claimed links, by the integration's mode
writes     one row per request; batch_writes: several rows per request, failed ones resolved
batching   whether an integration writes several rows per request, and how many
drain      the passes of a drain, and a chosen batch of links
runs       full syncs split into chunks; estimates of their duration
recording  link states, the audit log and counts of what a pass did
periodic   the housekeeping of the periodic drain and the nightly run's choice

Nothing here imports Celery or integrations.tasks: functions return what must be enqueued
(links that moved while held, chunks of a new run, integrations with due marks) and
tasks.py sends it. tests/test_architecture.py keeps it so.
"""
