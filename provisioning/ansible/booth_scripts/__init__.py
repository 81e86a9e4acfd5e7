"""Small scripts ansible copies to a booth and runs there (``ansible.builtin.script``).

They print one JSON object on stdout. ``probe_booth`` and ``snapshot_outbox`` use the
standard library only (they must run on a broken or half-installed unit);
``merge_outbox`` runs with the booth's Rekam release on ``PYTHONPATH``.
"""
