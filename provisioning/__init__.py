"""Provisioning of Rekam booths from a technician's laptop, over SSH, with ansible-core.

``rekam-provision`` (:mod:`provisioning.cli`) keeps an *office directory*: the office
CA, the edge's broker files, the booth inventory and the releases. Every change to a
booth is an ansible-core playbook under ``provisioning/ansible/`` run by
:mod:`provisioning.engine`, which reads back what each task did (changed, planned in
check mode, failed) through the ``rekam_events`` callback plugin.
"""
