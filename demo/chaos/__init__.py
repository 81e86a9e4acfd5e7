"""``rekam-chaos``: scripted enrollments on several booths while processes die and links drop.

Modules: :mod:`.cli` (the command), :mod:`.office` (the office's processes and links,
which the harness can kill and cut), :mod:`.booth_worker` (one emulated booth per
process), :mod:`.storm` (the seeded kills and cuts, then the drain), :mod:`.checker`
(lost, duplicated, corrupted), :mod:`.enrollments` (the synthetic records and their
content), :mod:`.evidence` (the committed journals, the outboxes and central's store
as files), :mod:`.children` (child processes that die with the harness).
"""
