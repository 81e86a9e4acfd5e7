"""Small scripts ansible copies to a booth and runs there (``ansible.builtin.script``).

They print one JSON object on stdout and use the standard library only (they must run
on a broken or half-installed unit). Merging a recovered outbox is the kiosk's own
``python -m kiosk.outbox.merge``, run with the booth's release (``rekam-python``).
"""
