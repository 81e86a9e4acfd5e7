"""Where the office's time goes (issue 21): the booths' stage events, stored and measured.

``store`` keeps each stage event once; ``report`` turns a day of them into waiting and
capture times per booth, operator and kelurahan; ``sensors`` watches each fingerprint
sensor's retry rate against its own last seven days; ``capacity`` is what planning reads.
"""
