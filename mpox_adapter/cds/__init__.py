"""CDS Hooks 2.0 face of the rules: discovery, requests, trust, prefetch, cards and feedback.

The rules know nothing of CDS Hooks: this package turns a hook request into the input of
`$immds-forecast` (and the case rules), and their output into cards. Nothing here decides a
clinical question itself.
"""
