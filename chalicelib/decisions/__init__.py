"""Decisions: reviewers approve, reject or ask for a re-upload of a case or a document, and
integrators send events; every transition comes from the case's workflow definition."""
